"""The catalog's domain errors. Each subclasses a core error, so its HTTP status follows."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import ConflictError, ValidationFailedError


class StaleVersionError(ConflictError):
    """The product changed since the caller read it (optimistic locking)."""

    code = "STALE_VERSION"


class RestoreWindowClosedError(ConflictError):
    """A soft-deleted product or shop can no longer be restored."""

    code = "RESTORE_WINDOW_CLOSED"


class OutOfStockError(ConflictError):
    """Fewer units are in stock than asked for."""

    code = "OUT_OF_STOCK"


class UnknownCategoryError(ValidationFailedError):
    """The category or subcategory is not in the site configuration."""

    code = "UNKNOWN_CATEGORY"


class DiscountRejectedError(ValidationFailedError):
    """A discount code breaks one of its rules; ``rule`` names it (also in ``code``)."""

    code = "DISCOUNT_REJECTED"

    def __init__(self, rule: str, message: str, *, details: Any = None) -> None:
        super().__init__(message, details={"rule": rule, **(details or {})})
        self.rule = rule
        self.code = f"DISCOUNT_{rule.upper()}"


class CategoryInUseError(ConflictError):
    """A category or subcategory to remove is still used by products or shops."""

    code = "CATEGORY_IN_USE"


class VariantRequiredError(ValidationFailedError):
    """A product with variants is bought by SKU: the request named none (HTTP 422)."""

    code = "VARIANT_REQUIRED"
