"""Site configuration, managed by admins: categories and subcategories, logo, banner.

Changes name the version they were made from (optimistic locking). A category or
subcategory still used by a product or a shop (soft-deleted ones too: they can be
restored until purged) cannot be removed: CategoryInUseError says what uses it. The logo
and banner may only be images the admin uploaded for that purpose and the image pipeline
accepted (``service/assets.py``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.catalog import repository
from chalicelib.catalog.domain import CategoryUsage, SiteConfig, UploadGrant
from chalicelib.catalog.errors import CategoryInUseError, StaleVersionError, UnknownCategoryError
from chalicelib.catalog.schemas import AssetRequest, SiteConfigInput
from chalicelib.catalog.service import assets
from chalicelib.core import clock
from chalicelib.core.caller import Caller

# How many ids of what uses a category a refusal names (the counts are exact).
USAGE_SAMPLE = 5
_ASSET_FIELDS = {"logo_key": "site_logo", "banner_key": "site_banner"}


def get_config() -> SiteConfig:
    """The current configuration (an empty one before an admin saved any)."""
    return repository.get().site_config()


def categories() -> dict[str, list[str]]:
    """Category → its subcategories."""
    return get_config().categories


def _check_version(config: SiteConfig, expected_version: int | None) -> None:
    if expected_version is not None and config.version != expected_version:
        raise StaleVersionError(
            "The site configuration changed since you read it",
            details={"current_version": config.version, "your_version": expected_version},
        )


def change_config(caller: Caller, body: SiteConfigInput) -> SiteConfig:
    """An admin's change: only the fields sent change (``null`` clears the logo or the
    banner); StaleVersionError unless ``body.version`` is current, CategoryInUseError
    when a removed category is in use, ValidationFailedError for a logo or banner key
    that is not the caller's accepted upload for it."""
    config = get_config()
    _check_version(config, body.version)
    sent = body.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if body.categories is not None:
        changes["categories"] = body.categories
    for field, purpose in _ASSET_FIELDS.items():
        if field in sent:
            key = sent[field]
            if key is not None and key != getattr(config, field):
                assets.require_accepted(caller, key, purpose=purpose, field=field)
            changes[field] = key
    return _save(config, changes)


def save_config(
    *,
    categories_map: dict[str, list[str]] | None = None,
    expected_version: int | None = None,
) -> SiteConfig:
    """Replace the categories (the platform's own seeding; admins use ``change_config``).
    The same rules: a category in use is not removed."""
    config = get_config()
    _check_version(config, expected_version)
    return _save(config, {} if categories_map is None else {"categories": categories_map})


def _save(config: SiteConfig, changes: dict[str, Any]) -> SiteConfig:
    if "categories" in changes:
        wanted = {name: sorted(set(subs)) for name, subs in changes["categories"].items()}
        _refuse_removing_used(config.categories, wanted)
        changes["categories"] = wanted
    try:
        return repository.get().save_site_config(replace(config, **changes, updated_at=clock.now()))
    except repository.WriteRefused:
        raise StaleVersionError("The site configuration changed since you read it") from None


def removed(old: dict[str, list[str]], new: dict[str, list[str]]) -> list[tuple[str, str | None]]:
    """The categories (subcategory None) and subcategories that ``new`` no longer has."""
    gone: list[tuple[str, str | None]] = []
    for category, subs in sorted(old.items()):
        if category not in new:
            gone.append((category, None))
            continue
        gone.extend((category, sub) for sub in sorted(set(subs) - set(new[category])))
    return gone


def _refuse_removing_used(old: dict[str, list[str]], new: dict[str, list[str]]) -> None:
    repo = repository.get()
    in_use: list[CategoryUsage] = []
    for category, subcategory in removed(old, new):
        usage = repo.category_usage(category, subcategory, sample=USAGE_SAMPLE)
        if usage.in_use:
            in_use.append(usage)
    if in_use:
        names = ", ".join(
            u.category if u.subcategory is None else f"{u.category}/{u.subcategory}" for u in in_use
        )
        raise CategoryInUseError(
            f"Still in use, so not removed: {names}. Move or delete what uses it first.",
            details={"in_use": [_usage_details(usage) for usage in in_use]},
        )


def _usage_details(usage: CategoryUsage) -> dict[str, Any]:
    return {
        "category": usage.category,
        "subcategory": usage.subcategory,
        "products": usage.products,
        "shops": usage.shops,
        "product_ids": list(usage.product_ids),
        "shop_ids": list(usage.shop_ids),
    }


def require_category(category: str, subcategory: str | None) -> None:
    """Raise UnknownCategoryError unless the (sub)category is configured."""
    known = categories()
    if category not in known:
        raise UnknownCategoryError(
            f"Unknown category {category!r}",
            details=[
                {"field": "category", "message": "not a configured category", "type": "unknown"}
            ],
        )
    if subcategory is not None and subcategory not in known[category]:
        raise UnknownCategoryError(
            f"Unknown subcategory {subcategory!r} of {category!r}",
            details=[
                {
                    "field": "subcategory",
                    "message": f"not a subcategory of {category}",
                    "type": "unknown",
                }
            ],
        )


def asset_upload(caller: Caller, body: AssetRequest) -> UploadGrant:
    """A pre-signed upload for a new site logo or banner; once the image pipeline accepted
    it (``asset``: READY), its ``media_key`` is what ``logo_key``/``banner_key`` take."""
    purpose = "site_logo" if body.kind == "logo" else "site_banner"
    return assets.request_upload(caller, purpose, body.content_type, body.size)
