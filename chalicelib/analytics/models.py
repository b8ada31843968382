"""The analytics table: counters per scope and period, visitor sketches, batch markers,
rate-limit windows.

==================  ===============  ==============================  =========================
item                pk               sk                              attributes
==================  ===============  ==============================  =========================
Scope day           ``S#<scope>``    ``D#<day>``                     counters (``views``,
                                                                     ``device:mobile``,
                                                                     ``country:DE``…), ``hll``
                                                                     sketch + ``hll_v``
Product day         ``S#<scope>``    ``PD#<day>#<product>``          product counters
Product month       ``S#<scope>``    ``PM#<yyyy-mm>#<product>``      product counters
Search, no results  ``S#<scope>``    ``NR#<day>#<term>``             ``count``
Batch marker        ``BATCH#<id>``   ``DONE``                        TTL ``expires_at``
Rate window         ``RATE#<key>``   ``<window start, epoch>``       ``hits``, TTL
==================  ===============  ==============================  =========================

``<scope>`` is a shop id or ``PLATFORM``. Counters are added with ``ADD`` (one update per
item per batch of the consumer); a marker written in the same transaction makes a
redelivered batch change nothing. A dashboard reads one scope's days with one Query, and
its products over a range from month items for the whole months in it and day items for
the rest, so a read never grows with the number of events.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.dynamo import bind_table

DONE = "DONE"
DAY = "D#"
PRODUCT_DAY = "PD#"
PRODUCT_MONTH = "PM#"
NO_RESULTS = "NR#"
SKETCH = "hll"
SKETCH_VERSION = "hll_v"
# Attributes of a counter item that are not counters.
NOT_COUNTERS = frozenset({"pk", "sk", SKETCH, SKETCH_VERSION})


def scope_pk(scope: str) -> str:
    return f"S#{scope}"


def batch_pk(batch_id: str) -> str:
    return f"BATCH#{batch_id}"


def rate_pk(key: str) -> str:
    return f"RATE#{key}"


@bind_table("analytics_table")
class BatchMarker(Model):
    """A batch whose counters were added (written in the same transaction as they are)."""

    class Meta:
        table_name = "analytics"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=DONE)
    facts = NumberAttribute()
    expires_at = NumberAttribute()


@bind_table("analytics_table")
class RateWindow(Model):
    """Batches one source sent in one fixed window."""

    class Meta:
        table_name = "analytics"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()
