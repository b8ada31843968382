"""Site configuration, managed by admins: categories and subcategories, logo, banner."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.catalog import media, repository
from chalicelib.catalog.domain import SiteConfig, UploadGrant
from chalicelib.catalog.errors import StaleVersionError, UnknownCategoryError
from chalicelib.core import clock
from chalicelib.core.dynamo import new_id
from chalicelib.core.settings import get_settings


def get_config() -> SiteConfig:
    """The current configuration (an empty one before an admin saved any)."""
    return repository.get().site_config()


def categories() -> dict[str, list[str]]:
    """Category → its subcategories."""
    return get_config().categories


def save_config(
    *,
    categories_map: dict[str, list[str]] | None = None,
    logo_key: str | None = None,
    banner_key: str | None = None,
    expected_version: int | None = None,
) -> SiteConfig:
    """Replace the given parts of the configuration; raises StaleVersionError on a race."""
    config = get_config()
    if expected_version is not None and config.version != expected_version:
        raise StaleVersionError(
            "The site configuration changed since you read it",
            details={"current_version": config.version},
        )
    if categories_map is not None:
        config = replace(
            config,
            categories={name: sorted(set(subs)) for name, subs in categories_map.items()},
        )
    if logo_key is not None:
        config = replace(config, logo_key=logo_key)
    if banner_key is not None:
        config = replace(config, banner_key=banner_key)
    try:
        return repository.get().save_site_config(replace(config, updated_at=clock.now()))
    except repository.WriteRefused:
        raise StaleVersionError("The site configuration changed since you read it") from None


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


def asset_upload(kind: str, content_type: str) -> UploadGrant:
    """A pre-signed upload for a new site logo or banner (its key goes in the config)."""
    settings = get_settings()
    return media.presigned_upload(
        f"media/site/{kind}-{new_id()}",
        content_type,
        max_bytes=settings.image_max_bytes,
        ttl=settings.image_upload_ttl_seconds,
    )
