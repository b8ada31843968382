"""Site configuration, managed by admins: categories and subcategories, logo, banner."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.catalog.errors import StaleVersionError, UnknownCategoryError
from chalicelib.catalog.models import SiteConfig
from chalicelib.core import clock


def get_config() -> SiteConfig:
    """The current configuration (an empty one before an admin saved any)."""
    try:
        return SiteConfig.get("CONFIG", "SITE")
    except SiteConfig.DoesNotExist:
        return SiteConfig(categories={}, updated_at=clock.now())


def categories() -> dict[str, list[str]]:
    """Category → its subcategories."""
    raw: dict[str, Any] = get_config().categories or {}
    return {str(name): [str(sub) for sub in subs] for name, subs in raw.items()}


def save_config(
    *,
    categories_map: dict[str, list[str]] | None = None,
    logo_key: str | None = None,
    banner_key: str | None = None,
    expected_version: int | None = None,
) -> SiteConfig:
    """Replace the given parts of the configuration; raises StaleVersionError on a race."""
    config = get_config()
    if expected_version is not None and int(config.version or 0) != expected_version:
        raise StaleVersionError(
            "The site configuration changed since you read it",
            details={"current_version": int(config.version or 0)},
        )
    if categories_map is not None:
        config.categories = {name: sorted(set(subs)) for name, subs in categories_map.items()}
    if logo_key is not None:
        config.logo_key = logo_key
    if banner_key is not None:
        config.banner_key = banner_key
    config.updated_at = clock.now()
    try:
        config.save()
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise StaleVersionError("The site configuration changed since you read it") from None
        raise
    return config


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
