"""What callers send to the catalog's use cases: validated models (the API's bodies too).

Money is integer minor units (``1999`` is 19.99): floats and numeric strings are refused.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from chalicelib.core.settings import get_settings
from chalicelib.core.validation import RequestModel

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_LABEL = re.compile(r"^[\w][\w .&'+/-]*$", re.UNICODE)


def _price_in_range(value: int) -> int:
    limit = get_settings().price_max_minor
    if value > limit:
        raise ValueError(f"must be at most {limit} (minor units)")
    return value


def _stock_in_range(value: int) -> int:
    limit = get_settings().stock_max
    if value > limit:
        raise ValueError(f"must be at most {limit}")
    return value


def _label(value: str) -> str:
    value = " ".join(value.split()).lower()
    if not _LABEL.match(value):
        raise ValueError("letters, digits, spaces and . & ' + / - only")
    return value


Money = Annotated[int, Field(strict=True, ge=1), AfterValidator(_price_in_range)]
Stock = Annotated[int, Field(strict=True, ge=0), AfterValidator(_stock_in_range)]
Channel = Literal["email", "app", "websocket"]
Label = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_label)]
Labels = Annotated[list[Label], Field(max_length=20)]
Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=SLUG_PATTERN)]
CategoryName = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class ProductInput(RequestModel):
    """A new product."""

    title: str = Field(min_length=1, max_length=200)
    slug: Slug | None = None
    description: str | None = Field(default=None, max_length=5000)
    category: CategoryName
    subcategory: CategoryName | None = None
    brand: str | None = Field(default=None, min_length=1, max_length=60)
    tags: Labels = Field(default_factory=list)
    colors: Labels = Field(default_factory=list)
    sizes: Labels = Field(default_factory=list)
    regular_price: Money
    sale_price: Money | None = None
    stock: Stock

    @field_validator("tags", "colors", "sizes")
    @classmethod
    def _dedupe(cls, values: list[str]) -> list[str]:
        return _unique(values)

    @model_validator(mode="after")
    def _sale_below_regular(self) -> ProductInput:
        if self.sale_price is not None and self.sale_price >= self.regular_price:
            raise ValueError("sale_price must be lower than regular_price")
        return self


class ProductPatch(RequestModel):
    """Changes to a product; ``version`` is the one the caller read (optimistic locking)."""

    version: int = Field(strict=True, ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    slug: Slug | None = None
    description: str | None = Field(default=None, max_length=5000)
    category: CategoryName | None = None
    subcategory: CategoryName | None = None
    brand: str | None = Field(default=None, min_length=1, max_length=60)
    tags: Labels | None = None
    colors: Labels | None = None
    sizes: Labels | None = None
    regular_price: Money | None = None
    sale_price: Money | None = None
    clear_sale_price: bool = False
    stock: Stock | None = None

    @field_validator("tags", "colors", "sizes")
    @classmethod
    def _dedupe(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _unique(values)


class ShopInput(RequestModel):
    """A new shop, or (all fields optional) changes to one."""

    name: str | None = Field(default=None, min_length=2, max_length=80)
    slug: Slug | None = None
    category: CategoryName | None = None
    description: str | None = Field(default=None, max_length=2000)
    address: ShopAddress | None = None
    branch: BranchInfo | None = None
    logo_key: str | None = Field(default=None, max_length=300)
    settings: ShopSettings | None = None


class ShopAddress(RequestModel):
    line1: str = Field(min_length=1, max_length=120)
    line2: str | None = Field(default=None, max_length=120)
    city: str = Field(min_length=1, max_length=80)
    region: str | None = Field(default=None, max_length=80)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class BranchInfo(RequestModel):
    """A store chain's branch: its name and code, and the chain it belongs to."""

    name: str = Field(min_length=1, max_length=80)
    code: str | None = Field(default=None, max_length=20)
    chain: str | None = Field(default=None, max_length=80)


def _default_channels() -> list[Channel]:
    return ["app", "websocket"]


class ShopSettings(RequestModel):
    low_stock_threshold: int = Field(default=5, strict=True, ge=0, le=100_000)
    channels: list[Channel] = Field(default_factory=_default_channels, max_length=3)


ShopInput.model_rebuild()


class OfferInput(RequestModel):
    """A time-boxed sale over some of the shop's products."""

    name: str = Field(min_length=1, max_length=80)
    percent_off: int = Field(strict=True, ge=1, le=90)
    starts_at: datetime
    ends_at: datetime
    product_ids: list[str] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _window(self) -> OfferInput:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a timezone offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class DiscountCodeInput(RequestModel):
    """A discount code: percent (1-100) or fixed (minor units) off a shop's items."""

    code: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    kind: Literal["percent", "fixed"]
    value: int = Field(strict=True, ge=1)
    min_order: int = Field(default=0, strict=True, ge=0)
    max_uses: int | None = Field(default=None, strict=True, ge=1, le=10_000_000)
    per_user_limit: int | None = Field(default=None, strict=True, ge=1, le=1000)
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _rules(self) -> DiscountCodeInput:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percent code takes 1-100")
        if self.kind == "fixed":
            _price_in_range(self.value)
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a timezone offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    @property
    def normalized_code(self) -> str:
        return self.code.upper()


class SiteConfigInput(RequestModel):
    """Categories (name → subcategories); ``version`` is the one read (optimistic locking)."""

    version: int | None = Field(default=None, strict=True, ge=0)
    categories: dict[CategoryName, list[CategoryName]] | None = Field(default=None, max_length=200)
    logo_key: str | None = Field(default=None, max_length=300)
    banner_key: str | None = Field(default=None, max_length=300)


class ImageUploadInput(RequestModel):
    """The file a seller is about to upload."""

    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/gif"]
    size: int = Field(strict=True, ge=1)


def dump(model: RequestModel) -> dict[str, Any]:
    """The fields the caller actually sent."""
    return model.model_dump(exclude_unset=True)
