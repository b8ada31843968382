"""Hardening rules on the fakes: media keys only from the caller's accepted uploads,
categories in use are not removed, explicit nulls are refused or clear, another seller's
things are not found."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from chalicelib.catalog.domain import ImageStatus, UploadTicket
from chalicelib.catalog.errors import CategoryInUseError, StaleVersionError
from chalicelib.catalog.schemas import (
    AssetRequest,
    ProductInput,
    ProductPatch,
    ShopInput,
    SiteConfigInput,
)
from chalicelib.catalog.service import assets, products, shops, site_config
from chalicelib.core import clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ForbiddenError, NotFoundError, ValidationFailedError
from chalicelib.core.settings import get_settings
from chalicelib.core.validation import validate_model
from tests.fakes.catalog import InMemoryCatalogRepository, MediaObjects

pytestmark = pytest.mark.usefixtures("catalog_repo", "bus", "identity")

SELLER = Caller(account_id="seller-1", role=Role.SELLER)
OTHER_SELLER = Caller(account_id="seller-2", role=Role.SELLER)
SHOPPER = Caller(account_id="shopper-1", role=Role.USER)
ADMIN = Caller(account_id="admin-1", role=Role.ADMIN)
OTHER_ADMIN = Caller(account_id="admin-2", role=Role.ADMIN)
NEW_SELLER = Caller(account_id="seller-3", role=Role.SELLER)


@pytest.fixture(autouse=True)
def categories(catalog_repo: InMemoryCatalogRepository) -> None:
    site_config.save_config(
        categories_map={"shoes": ["boots", "sneakers"], "home": ["lamps", "rugs"], "toys": []}
    )


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def uploaded(media_objects: MediaObjects, caller: Caller, purpose: str, data: bytes) -> str:
    """Ask for an upload, put the bytes where the grant says; the asset id."""
    grant = assets.request_upload(caller, purpose, "image/png", len(data))
    media_objects.objects[grant.key] = data
    return grant.image_id


def accepted(media_objects: MediaObjects, caller: Caller, purpose: str = "shop_logo") -> str:
    """An upload the pipeline accepted; its media key."""
    asset_id = uploaded(media_objects, caller, purpose, png())
    result = assets.process_upload(get_settings().media_bucket, assets.upload_key(asset_id))
    assert result["status"] == "READY", result
    return str(result["media_key"])


def config(**values: Any) -> SiteConfigInput:
    return SiteConfigInput.model_validate({"version": site_config.get_config().version} | values)


def field_of(error: pytest.ExceptionInfo[ValidationFailedError]) -> str:
    details: Any = error.value.details
    return str(details[0]["field"])


# ---------- 1. media keys ----------
def test_a_shop_logo_is_only_the_sellers_own_accepted_upload(
    media_objects: MediaObjects, catalog_repo: InMemoryCatalogRepository
) -> None:
    # Given two shops, a product image of the other shop and the seller's accepted logo
    mine = shops.create_shop(SELLER, ShopInput(name="Mine", category="shoes"))
    shops.create_shop(OTHER_SELLER, ShopInput(name="Theirs", category="shoes"))
    theirs = products.create_product(
        OTHER_SELLER,
        ProductInput(title="Hidden", category="shoes", regular_price=100, stock=1),
    )
    other_image = f"media/products/{theirs.product_id}/img-1/full.webp"
    other_logo = accepted(media_objects, OTHER_SELLER)
    pending_id = uploaded(media_objects, SELLER, "shop_logo", png())
    site_logo = accepted(media_objects, ADMIN, "site_logo")
    own = accepted(media_objects, SELLER)
    # When the seller points the logo at anything but their own accepted logo, Then 422
    for key in (
        other_image,
        "media/site/logo-123",
        "uploads/assets/" + pending_id,
        assets.media_key(pending_id, "shop_logo"),
        other_logo,
        site_logo,
        own + "x",
        "../" + own,
    ):
        with pytest.raises(ValidationFailedError) as refused:
            shops.update_shop(SELLER, mine.shop_id, ShopInput(logo_key=key))
        assert field_of(refused) == "logo_key", key
        with pytest.raises(ValidationFailedError):
            shops.create_shop(NEW_SELLER, ShopInput(name="New", category="toys", logo_key=key))
    # And the seller's own accepted logo works (and null clears it)
    assert shops.update_shop(SELLER, mine.shop_id, ShopInput(logo_key=own)).logo_key == own
    again = shops.update_shop(SELLER, mine.shop_id, ShopInput(logo_key=own, name="Mine 2"))
    assert again.logo_key == own
    cleared = shops.update_shop(SELLER, mine.shop_id, ShopInput.model_validate({"logo_key": None}))
    assert cleared.logo_key is None
    # A new shop may start with the seller's own accepted logo
    fresh = accepted(media_objects, NEW_SELLER)
    new_shop = shops.create_shop(NEW_SELLER, ShopInput(name="New", category="toys", logo_key=fresh))
    assert new_shop.logo_key == fresh


def test_the_pipeline_keeps_one_rendition_and_refuses_what_is_not_an_image(
    media_objects: MediaObjects,
) -> None:
    # Given an accepted logo and an upload that is not an image
    key = accepted(media_objects, SELLER)
    bad_id = uploaded(media_objects, SELLER, "shop_logo", b"<html>not an image</html>")
    # When the bad one is processed
    result = assets.process_upload(get_settings().media_bucket, assets.upload_key(bad_id))
    # Then it is rejected and deleted, and its key can never be stored
    assert result["status"] == "REJECTED"
    assert assets.upload_key(bad_id) not in media_objects.objects
    ticket = assets.get_asset(SELLER, bad_id)
    assert (ticket.status, ticket.media_key) == (ImageStatus.REJECTED, None)
    with pytest.raises(ValidationFailedError):
        assets.require_accepted(
            SELLER, assets.media_key(bad_id, "shop_logo"), purpose="shop_logo", field="logo_key"
        )
    # And the accepted one is a WebP of at most 512 px; its upload is gone
    with Image.open(io.BytesIO(media_objects.objects[key])) as image:
        assert image.format == "WEBP"
        assert max(image.size) <= 512
    # Processing twice changes nothing
    asset_id = key.split("/")[2]
    again = assets.process_upload(get_settings().media_bucket, assets.upload_key(asset_id))
    assert again["status"] == "READY"


def test_asset_uploads_belong_to_their_role_and_owner(media_objects: MediaObjects) -> None:
    with pytest.raises(ForbiddenError):
        assets.request_upload(SHOPPER, "shop_logo", "image/png", 10)
    with pytest.raises(ForbiddenError):
        assets.request_upload(SELLER, "site_banner", "image/png", 10)
    with pytest.raises(ValidationFailedError):
        assets.request_upload(SELLER, "shop_logo", "image/png", 10**9)
    asset_id = uploaded(media_objects, SELLER, "shop_logo", png())
    assert assets.get_asset(SELLER, asset_id).status is ImageStatus.PENDING
    # Someone else's upload is not found, like an unknown one
    with pytest.raises(NotFoundError):
        assets.get_asset(OTHER_SELLER, asset_id)
    with pytest.raises(NotFoundError):
        assets.get_asset(SELLER, "no-such-asset")


def test_site_logo_and_banner_are_the_admins_own_accepted_uploads(
    media_objects: MediaObjects,
) -> None:
    grant = site_config.asset_upload(ADMIN, AssetRequest(kind="banner", content_type="image/png"))
    media_objects.objects[grant.key] = png((1200, 300))
    banner = assets.process_upload(get_settings().media_bucket, grant.key)["media_key"]
    logo = accepted(media_objects, ADMIN, "site_logo")
    theirs = accepted(media_objects, OTHER_ADMIN, "site_logo")
    shop_logo = accepted(media_objects, SELLER)
    for field, key in (
        ("logo_key", theirs),
        ("logo_key", shop_logo),
        ("logo_key", banner),  # a banner upload is not a logo
        ("banner_key", logo),
        ("banner_key", "media/products/p1/i1/full.webp"),
    ):
        with pytest.raises(ValidationFailedError) as refused:
            site_config.change_config(ADMIN, config(**{field: key}))
        assert field_of(refused) == field
    saved = site_config.change_config(ADMIN, config(logo_key=logo, banner_key=banner))
    assert (saved.logo_key, saved.banner_key) == (logo, banner)
    # Another admin may keep what is there (unchanged keys are not re-checked) or clear it
    kept = site_config.change_config(OTHER_ADMIN, config(logo_key=logo, banner_key=None))
    assert (kept.logo_key, kept.banner_key) == (logo, None)


def test_an_upload_ticket_for_a_product_is_not_an_asset(
    catalog_repo: InMemoryCatalogRepository,
) -> None:
    catalog_repo.add_ticket(
        UploadTicket(
            image_id="img-1",
            product_id="p-1",
            shop_id="s-1",
            key="uploads/products/p-1/img-1",
            content_type="image/png",
            status=ImageStatus.READY,
            created_at=clock.now(),
        )
    )
    assert catalog_repo.asset_ticket("img-1") is None
    with pytest.raises(ValidationFailedError):
        assets.require_accepted(
            SELLER, "media/assets/img-1/shop_logo.webp", purpose="shop_logo", field="logo_key"
        )


# ---------- 3. explicit nulls ----------
@pytest.mark.parametrize(
    "field", ["title", "slug", "category", "tags", "colors", "sizes", "regular_price", "stock"]
)
def test_null_is_refused_for_product_fields_that_cannot_be_empty(field: str) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        validate_model(ProductPatch, {"version": 1, field: None})
    assert field_of(refused) == field


def test_null_clears_the_product_fields_that_may_be_empty() -> None:
    shops.create_shop(SELLER, ShopInput(name="Mine", category="home"))
    product = products.create_product(
        SELLER,
        ProductInput(
            title="Lamp",
            description="Warm",
            category="home",
            subcategory="lamps",
            brand="Lumen",
            regular_price=3000,
            sale_price=2500,
            stock=2,
        ),
    )
    patch = validate_model(
        ProductPatch,
        {"version": 1, "description": None, "sale_price": None, "brand": None, "subcategory": None},
    )
    changed = products.update_product(SELLER, product.product_id, patch)
    assert (changed.description, changed.sale_price, changed.brand, changed.subcategory) == (
        None,
        None,
        None,
        None,
    )
    assert (changed.title, changed.stock, changed.category) == ("Lamp", 2, "home")


@pytest.mark.parametrize("field", ["name", "slug", "category", "settings"])
def test_null_is_refused_for_shop_fields_that_cannot_be_empty(field: str) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        validate_model(ShopInput, {field: None})
    assert field_of(refused) == field


def test_null_clears_a_shops_optional_fields() -> None:
    shop = shops.create_shop(
        SELLER, ShopInput(name="Mine", category="home", description="Lamps and rugs")
    )
    cleared = shops.update_shop(
        SELLER,
        shop.shop_id,
        validate_model(ShopInput, {"description": None, "address": None, "branch": None}),
    )
    assert (cleared.description, cleared.name, cleared.category) == (None, "Mine", "home")


def test_site_config_needs_a_version_and_refuses_null_categories() -> None:
    with pytest.raises(ValidationFailedError) as missing:
        validate_model(SiteConfigInput, {"categories": {"toys": []}})
    assert field_of(missing) == "version"
    with pytest.raises(ValidationFailedError) as null:
        validate_model(SiteConfigInput, {"version": 1, "categories": None})
    assert field_of(null) == "categories"


# ---------- 4. categories in use ----------
def test_a_category_in_use_is_not_removed_and_the_refusal_says_what_uses_it(
    catalog_repo: InMemoryCatalogRepository,
) -> None:
    # Given a shop in "home" and products in home/lamps (one of them soft-deleted)
    shop = shops.create_shop(SELLER, ShopInput(name="Mine", category="home"))
    made = [
        products.create_product(
            SELLER,
            ProductInput(
                title=f"Lamp {n}", category="home", subcategory="lamps", regular_price=100, stock=1
            ),
        )
        for n in range(7)
    ]
    products.delete_product(SELLER, made[0].product_id)
    before = site_config.get_config()
    # When an admin removes "home" (and, separately, only its "lamps")
    with pytest.raises(CategoryInUseError) as whole:
        site_config.change_config(ADMIN, config(categories={"shoes": ["boots"], "toys": []}))
    with pytest.raises(CategoryInUseError) as sub:
        site_config.change_config(ADMIN, config(categories={**before.categories, "home": ["rugs"]}))
    # Then both are refused with exact counts and a few ids, and nothing changed
    assert whole.value.details == {
        "in_use": [
            {
                "category": "home",
                "subcategory": None,
                "products": 7,
                "shops": 1,
                "product_ids": sorted(p.product_id for p in made)[:5],
                "shop_ids": [shop.shop_id],
            }
        ]
    }
    (usage,) = sub.value.details["in_use"]
    assert (usage["subcategory"], usage["products"], usage["shops"]) == ("lamps", 7, 0)
    assert site_config.get_config() == before
    # And unused ones ("shoes/sneakers", "toys", "home/rugs") go
    saved = site_config.change_config(
        ADMIN, config(categories={"shoes": ["boots"], "home": ["lamps"]})
    )
    assert saved.categories == {"shoes": ["boots"], "home": ["lamps"]}


def test_moving_and_purging_free_a_category(catalog_repo: InMemoryCatalogRepository) -> None:
    shops.create_shop(SELLER, ShopInput(name="Mine", category="home"))
    lamp = products.create_product(
        SELLER,
        ProductInput(title="Lamp", category="home", subcategory="rugs", regular_price=100, stock=1),
    )
    assert catalog_repo.category_usage("home", "rugs").products == 1
    moved = products.update_product(
        SELLER, lamp.product_id, ProductPatch(version=1, subcategory="lamps")
    )
    assert catalog_repo.category_usage("home", "rugs").products == 0
    assert catalog_repo.category_usage("home", "lamps").products == 1
    products.delete_product(SELLER, moved.product_id)
    assert catalog_repo.category_usage("home").products == 1  # restorable: still counted
    catalog_repo.purge_product(moved, only_if_deleted=True)
    assert catalog_repo.category_usage("home").products == 0


def test_a_stale_or_missing_version_is_refused() -> None:
    current = site_config.get_config()
    with pytest.raises(StaleVersionError):
        site_config.change_config(
            ADMIN, SiteConfigInput(version=current.version - 1, categories={"toys": []})
        )
    assert site_config.get_config() == current
