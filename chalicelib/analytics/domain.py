"""Analytics domain values: what a client or the bus says happened (``Fact``), the batch
that is counted once (``FactBatch``), the counters kept per scope and period, and what a
dashboard reads back.

A *scope* is a shop id or ``PLATFORM`` (every fact counts for its shop and for the
platform). Days are UTC dates (``YYYY-MM-DD``); money is integer minor units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

PLATFORM = "PLATFORM"
UNKNOWN_COUNTRY = "unknown"


class EventType(StrEnum):
    """What clients may report (``POST /analytics/events``)."""

    PRODUCT_VIEW = "product_view"
    SHOP_VISIT = "shop_visit"
    SEARCH = "search"
    ADD_TO_CART = "add_to_cart"
    WISHLIST_ADD = "wishlist_add"
    WISHLIST_REMOVE = "wishlist_remove"


class FactKind(StrEnum):
    """Every kind of fact the lake and the aggregates hold: the client's event types and
    the server-side facts that come from the bus (never from clients)."""

    PRODUCT_VIEW = "product_view"
    SHOP_VISIT = "shop_visit"
    SEARCH = "search"
    ADD_TO_CART = "add_to_cart"
    WISHLIST_ADD = "wishlist_add"
    WISHLIST_REMOVE = "wishlist_remove"
    PURCHASE = "purchase"  # one order line of a paid order
    ORDER_PAID = "order_paid"  # one paid order (a shop's part of a checkout)
    CART_ABANDONED = "cart_abandoned"  # one shop's part of an abandoned cart
    CART_ABANDONED_LINE = "cart_abandoned_line"
    PAYMENT_FAILED = "payment_failed"


class DeviceType(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"
    BOT = "bot"
    OTHER = "other"
    UNKNOWN = "unknown"  # server-side facts


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class ProductSort(StrEnum):
    REVENUE = "revenue"
    UNITS = "units"
    VIEWS = "views"
    CONVERSION = "conversion"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Device:
    """What the User-Agent says: device type, OS family and browser family."""

    type: DeviceType
    os: str = "Other"
    browser: str = "Other"


@dataclass(frozen=True)
class Fact:
    """One thing that happened, as the lake stores it (one NDJSON line) and the aggregates
    count it. ``visitor`` is the signed-in account id or the client's anonymous id (never an
    email or an IP address)."""

    kind: FactKind
    at: datetime
    received_at: datetime
    source: str  # "client" or the bus event type
    visitor: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    product_id: str | None = None
    shop_id: str | None = None
    query: str | None = None
    results: int | None = None
    quantity: int = 0
    amount: int = 0
    currency: str | None = None
    order_id: str | None = None
    device: Device = Device(DeviceType.UNKNOWN)
    country: str = UNKNOWN_COUNTRY

    @property
    def day(self) -> str:
        return self.at.date().isoformat()


@dataclass(frozen=True)
class FactBatch:
    """Facts that are counted together, once: a client's batch (id made at collection) or
    one bus event (its event id)."""

    batch_id: str
    received_at: datetime
    facts: tuple[Fact, ...]


class Grain(StrEnum):
    """What one counter item covers."""

    DAY = "day"  # a scope's day: totals, device and country split, visitors sketch
    PRODUCT_DAY = "product_day"
    PRODUCT_MONTH = "product_month"
    NO_RESULTS = "no_results"  # a search term without results, per scope and day


@dataclass(frozen=True, order=True)
class CounterKey:
    """One counter item: ``period`` is a day (``YYYY-MM-DD``) or a month (``YYYY-MM``);
    ``subject`` the product id or search term where the grain has one."""

    scope: str
    grain: Grain
    period: str
    subject: str = ""


Tally = dict[CounterKey, dict[str, int]]


@dataclass(frozen=True)
class DayTotals:
    """A scope's counters for one day, and its visitors sketch (serialized)."""

    day: str
    counters: Mapping[str, int]
    sketch: bytes | None = None


@dataclass(frozen=True)
class DateRange:
    """Inclusive UTC dates."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class VisitorEstimate:
    """Unique visitors from merged sketches, with bounds at about 99.7% confidence."""

    estimate: int
    lower: int
    upper: int
    relative_error: float


@dataclass(frozen=True)
class TrendPoint:
    period: str  # the first day of the day, week (Monday) or month
    orders: int
    revenue: int
    units: int
    views: int
    add_to_cart: int
    visits: int


@dataclass(frozen=True)
class ProductFigures:
    product_id: str
    title: str | None
    views: int
    add_to_cart: int
    wishlist_adds: int
    units: int
    revenue: int
    abandoned_units: int

    @property
    def conversion(self) -> float:
        """Units bought per view (0 without views)."""
        return round(self.units / self.views, 4) if self.views else 0.0


@dataclass(frozen=True)
class Share:
    name: str
    count: int


@dataclass
class Summary:
    """A scope's dashboard over a date range."""

    scope: str
    range: DateRange
    granularity: Granularity
    currency: str
    totals: dict[str, int] = field(default_factory=dict)
    trend: list[TrendPoint] = field(default_factory=list)
    devices: list[Share] = field(default_factory=list)
    operating_systems: list[Share] = field(default_factory=list)
    browsers: list[Share] = field(default_factory=list)
    countries: list[Share] = field(default_factory=list)
    visitors: VisitorEstimate | None = None


# ISO 3166-1 alpha-2 codes (officially assigned), what a client may send as its country.
_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRIES = frozenset(_ISO_CODES.split())
