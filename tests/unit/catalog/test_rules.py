"""Pure rules: prices, search tokens, image inspection, search parameters, code amounts."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from chalicelib.catalog.domain import (
    DiscountCode,
    DiscountKind,
    ProductOffer,
    effective_price,
    list_price,
    percent_off,
    tokens,
)
from chalicelib.catalog.service.images import ImageRejectedError, inspect_image, render

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def offer(start: timedelta, end: timedelta, percent: int = 20) -> ProductOffer:
    return ProductOffer(
        offer_id="o1", name="Sale", percent_off=percent, starts_at=NOW + start, ends_at=NOW + end
    )


def test_prices_apply_sale_then_an_active_offer_only() -> None:
    assert list_price(1000, None) == 1000
    assert list_price(1000, 800) == 800
    assert effective_price(1000, 800, offer(-timedelta(hours=1), timedelta(hours=1)), NOW) == 640
    assert effective_price(1000, None, offer(timedelta(hours=1), timedelta(hours=2)), NOW) == 1000
    assert effective_price(1000, None, offer(-timedelta(hours=2), timedelta(0)), NOW) == 1000
    assert percent_off(999, 10) == 900  # the discount rounds down, never the price


def test_search_tokens_fold_case_plurals_and_stop_words() -> None:
    assert tokens("The Red Sneakers & Boots for Kids") == ["red", "sneaker", "boot", "kid"]
    assert tokens("glass") == ["glass"]


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, format="PNG")
    return out.getvalue()


def test_inspect_accepts_images_and_refuses_the_rest() -> None:
    assert inspect_image(png(10, 10), max_pixels=1000).size == (10, 10)
    with pytest.raises(ImageRejectedError, match="decompression bomb"):
        inspect_image(png(100, 100), max_pixels=1000)
    with pytest.raises(ImageRejectedError, match="not an image"):
        inspect_image(b"GIF89a but not really", max_pixels=1000)
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, format="BMP")
    with pytest.raises(ImageRejectedError, match="not allowed"):
        inspect_image(bmp.getvalue(), max_pixels=1000)


def test_renditions_fit_their_box_and_flatten_transparency_for_jpeg() -> None:
    image = Image.open(io.BytesIO(png(1000, 500, "RGBA")))
    thumb = Image.open(io.BytesIO(render(image, 256, "JPEG")))
    assert (thumb.format, thumb.size, thumb.mode) == ("JPEG", (256, 128), "RGB")
    webp = Image.open(io.BytesIO(render(image, 800, "WEBP")))
    assert (webp.format, webp.size) == ("WEBP", (800, 400))


def test_search_parameters_refuse_bad_ranges() -> None:
    from chalicelib.catalog.schemas import SearchParams
    from chalicelib.core.errors import ValidationFailedError
    from chalicelib.core.validation import validate_model

    ok = validate_model(SearchParams, {"min_price": "10", "max_price": "20", "on_offer": "true"})
    assert (ok.min_price, ok.max_price, ok.on_offer) == (10, 20, True)
    for bad in ({"min_price": "30", "max_price": "20"}, {"subcategory": "boots"}, {"x": "1"}):
        with pytest.raises(ValidationFailedError):
            validate_model(SearchParams, bad)


def test_fixed_codes_never_exceed_the_eligible_subtotal() -> None:
    from chalicelib.catalog.service import discounts

    # Given a fixed code worth more than the shop's items in the cart
    code = DiscountCode(
        code="BIG",
        shop_id="s1",
        kind=DiscountKind.FIXED,
        value=10_000,
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(days=1),
        created_at=NOW - timedelta(days=1),
    )
    # When its rules are checked
    applied = discounts.check_rules(code, "BIG", user_uses=0, shop_subtotals={"s1": 2500}, now=NOW)
    # Then it takes off no more than the eligible subtotal
    assert applied.amount == 2500
