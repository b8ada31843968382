"""Products: seller CRUD on their own shop's products, optimistic locking, soft delete.

Every change publishes ``product.updated`` (or ``product.deleted``); the search index
follows from those events (``chalicelib.catalog.service.indexer``). What a cart needs of
a product (a snapshot priced now, a stock check, cards, popularity) is here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.catalog import media, repository
from chalicelib.catalog.domain import (
    Product,
    ProductImage,
    ProductOffer,
    ProductSnapshot,
    ProductStatus,
    RatingSubject,
    Shop,
    ShopStatus,
    Variant,
    is_listed,
    slugify,
    split_stock_key,
)
from chalicelib.catalog.errors import (
    OutOfStockError,
    RestoreWindowClosedError,
    StaleVersionError,
    VariantRequiredError,
)
from chalicelib.catalog.events import ProductChange, ProductDeleted, ProductUpdated
from chalicelib.catalog.schemas import ProductCard, ProductInput, ProductPatch
from chalicelib.catalog.service import shops
from chalicelib.catalog.service.site_config import require_category
from chalicelib.core import clock, events
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import (
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from chalicelib.core.pagination import Page
from chalicelib.core.settings import get_settings


def get_product(product_id: str) -> Product | None:
    """The product in any state (strongly consistent), or None."""
    return repository.get().product(product_id)


def visible_product(product_id: str) -> tuple[Product, Shop]:
    """A product shoppers may see, with its shop; NotFoundError otherwise.

    Deleted products, and products of deleted shops or banned sellers, are not found.
    """
    product = get_product(product_id)
    if product is None or not product.is_active:
        raise NotFoundError("No such product", details={"product_id": product_id})
    shop = shops.get_shop(product.shop_id)
    if shop is None or not shop.visible:
        raise NotFoundError("No such product", details={"product_id": product_id})
    return product, shop


def owned_product(caller: Caller, product_id: str) -> Product:
    """A product of the caller's shop (admins: any).

    NotFoundError for an unknown product and, with the same body, for another seller's:
    a resource the caller may not see does not reveal that it exists.
    """
    product = get_product(product_id)
    if product is None or (product.seller_id != caller.account_id and not caller.is_admin):
        raise NotFoundError("No such product", details={"product_id": product_id})
    return product


def create_product(caller: Caller, body: ProductInput) -> Product:
    """Add a product to the caller's active shop; ConflictError if the slug is taken."""
    shop = shops.owned_shop(caller)
    if shop.status is not ShopStatus.ACTIVE:
        raise ConflictError("Your shop is deleted; restore it before adding products")
    require_category(body.category, body.subcategory)
    now = clock.now()
    product_id = new_id()
    slug = body.slug or f"{slugify(body.title, max_length=60)}-{product_id[:6]}"
    variants = tuple(variant.to_domain() for variant in body.variants)
    _check_variants(variants, ())
    draft = Product(
        product_id=product_id,
        shop_id=shop.shop_id,
        seller_id=shop.owner_id,
        title=body.title,
        slug=slug,
        description=body.description,
        category=body.category,
        subcategory=body.subcategory,
        brand=body.brand,
        tags=tuple(body.tags),
        colors=tuple(body.colors),
        sizes=tuple(body.sizes),
        regular_price=body.regular_price,
        sale_price=body.sale_price,
        currency=get_settings().currency,
        stock=body.stock,
        created_at=now,
        updated_at=now,
    )
    draft = _with_variants(draft, variants) if variants else draft
    try:
        product = repository.get().add_product(draft)
    except repository.ClaimTaken:
        raise ConflictError(
            f"Your shop already has a product at {slug!r}", details={"slug": slug}
        ) from None
    _announce(product, "created")
    return product


def _with_variants(product: Product, variants: tuple[Variant, ...]) -> Product:
    """``product`` sold as ``variants``: its stock is theirs, its colours and sizes too."""
    if not variants:
        return replace(product, variants=())
    colors = tuple(dict.fromkeys([*product.colors, *(v.color for v in variants if v.color)]))
    sizes = tuple(dict.fromkeys([*product.sizes, *(v.size for v in variants if v.size)]))
    return replace(
        product,
        variants=variants,
        stock=sum(v.stock for v in variants),
        colors=colors,
        sizes=sizes,
    )


def _check_variants(variants: tuple[Variant, ...], images: tuple[ProductImage, ...]) -> None:
    image_ids = {image.image_id for image in images}
    unknown = [v.sku for v in variants if v.image_id and v.image_id not in image_ids]
    if unknown:
        raise ValidationFailedError(
            "Invalid request: variants",
            details=[
                {
                    "field": "variants",
                    "message": f"image_id of {sku!r} is not one of the product's images",
                    "type": "value_error",
                }
                for sku in unknown
            ],
        )


def _announce(product: Product, change: ProductChange) -> None:
    events.publish(ProductUpdated.of(product, change), best_effort=True)


_LISTS = ("tags", "colors", "sizes")


def update_product(caller: Caller, product_id: str, patch: ProductPatch) -> Product:
    """Apply ``patch`` if the product is still at ``patch.version``; else StaleVersionError."""
    product = owned_product(caller, product_id)
    if not product.is_active:
        raise ConflictError("A deleted product cannot be edited; restore it first")
    if patch.version != product.version:
        raise StaleVersionError(
            "The product changed since you read it; reload and try again",
            details={"current_version": product.version, "your_version": patch.version},
        )
    changes = patch.model_dump(
        exclude_unset=True, exclude={"version", "clear_sale_price", "variants"}
    )
    variants = product.variants
    if patch.variants is not None:
        variants = tuple(variant.to_domain() for variant in patch.variants)
        _check_variants(variants, product.images)
    if variants and "stock" in changes:
        raise ValidationFailedError(
            "Invalid request: stock",
            details=[
                {
                    "field": "stock",
                    "message": "a product with variants takes its stock from them",
                    "type": "value_error",
                }
            ],
        )
    category = changes.get("category", product.category)
    subcategory = changes.get("subcategory", product.subcategory)
    if "category" in changes and "subcategory" not in changes:
        subcategory = None
    if "category" in changes or "subcategory" in changes:
        require_category(category, subcategory)
    for name in _LISTS:
        if changes.get(name) is not None:
            changes[name] = tuple(changes[name])
    changes["subcategory"] = subcategory
    if patch.clear_sale_price:
        changes["sale_price"] = None
    edited = replace(product, **changes, updated_at=clock.now())
    if patch.variants is not None:
        edited = _with_variants(edited, variants)
    if edited.sale_price is not None and edited.sale_price >= edited.regular_price:
        raise _sale_not_below_regular()
    try:
        saved = repository.get().save_product(edited, old_slug=product.slug)
    except repository.WriteRefused:
        # A slug claimed meanwhile is reported the same way (the form is read again).
        raise StaleVersionError(
            "The product changed since you read it; reload and try again",
            details={"your_version": patch.version},
        ) from None
    _announce(saved, "updated")
    return saved


def _sale_not_below_regular() -> ValidationFailedError:
    return ValidationFailedError(
        "Invalid request: sale_price",
        details=[
            {
                "field": "sale_price",
                "message": "sale_price must be lower than regular_price",
                "type": "value_error",
            }
        ],
    )


def delete_product(caller: Caller, product_id: str) -> Product:
    """Soft-delete: hidden at once, restorable for the restore window, then purged."""
    product = owned_product(caller, product_id)
    if product.status is ProductStatus.DELETED:
        return product
    now = clock.now()
    purge_after = now + timedelta(hours=get_settings().product_restore_hours)
    try:
        deleted = repository.get().set_product_deleted(
            product, deleted_at=now, purge_after=purge_after
        )
    except repository.WriteRefused:
        raise StaleVersionError("The product changed meanwhile; try again") from None
    events.publish(ProductDeleted.of(deleted), best_effort=True)
    return deleted


def restore_product(caller: Caller, product_id: str) -> Product:
    """Undo a soft delete inside the window; RestoreWindowClosedError after it."""
    product = owned_product(caller, product_id)
    if product.is_active:
        return product
    if product.purge_after is None or clock.now() >= product.purge_after:
        raise RestoreWindowClosedError("The restore window of this product has closed")
    try:
        restored = repository.get().set_product_restored(product)
    except repository.WriteRefused:
        raise StaleVersionError("The product changed meanwhile; try again") from None
    _announce(restored, "restored")
    return restored


def list_shop_products(
    shop_id: str, *, limit: int, cursor: str | None, include_deleted: bool
) -> Page[Product]:
    """A shop's products, newest first. Shoppers never see deleted ones."""
    return repository.get().shop_products(
        shop_id, limit=limit, cursor=cursor, include_deleted=include_deleted
    )


def seller_products(
    caller: Caller, *, limit: int, cursor: str | None, include_deleted: bool
) -> Page[Product]:
    """The caller's shop's products, newest first (deleted ones if asked)."""
    shop = shops.owned_shop(caller)
    return list_shop_products(
        shop.shop_id, limit=limit, cursor=cursor, include_deleted=include_deleted
    )


def all_shop_product_ids(shop_id: str) -> list[str]:
    """Every product id of a shop, deleted ones too (purges and re-indexing)."""
    return repository.get().shop_product_ids(shop_id)


def expired_deleted_products(as_of: datetime, *, limit: int) -> list[str]:
    """Ids of soft-deleted products whose restore window closed before ``as_of``."""
    return repository.get().expired_products(as_of, limit=limit)


# ---------- changes made by the platform (images, offers), not by the seller's form ----------
# They do not check the seller's version (last writer wins on these attributes) but still
# move it, so a seller editing a stale copy is told to reload.
def set_images(product: Product, images: Iterable[ProductImage]) -> Product:
    """Replace the product's images; NotFoundError if it is gone."""
    try:
        changed = repository.get().set_product_images(product, images)
    except repository.NotStored:
        raise NotFoundError("No such product") from None
    _announce(changed, "images")
    return changed


def set_offer(product: Product, offer: ProductOffer | None) -> Product:
    """Put an offer's terms on the product (None: take them off); NotFoundError if gone."""
    try:
        changed = repository.get().set_product_offer(product, offer)
    except repository.NotStored:
        raise NotFoundError("No such product") from None
    _announce(changed, "offer")
    return changed


# ---------- what reviews use ----------
def set_rating(kind: RatingSubject, subject_id: str, total: int, count: int, revision: int) -> bool:
    """Show a product's or shop's counted review ratings (sum and count) as of the reviews'
    aggregate ``revision``; an older revision changes nothing (False). A product's new
    rating is announced (``product.updated``, change ``rating``): search re-posts it."""
    changed = repository.get().set_rating(kind, subject_id, total, count, revision)
    if changed and kind == "product":
        product = repository.get().product(subject_id)
        if product is not None:
            _announce(product, "rating")
    return changed


# ---------- what a cart uses ----------
def bump_popularity(product_id: str, delta: int) -> None:
    """Count a shopper's interest (wishlist) without touching the seller's version."""
    product = repository.get().add_popularity(product_id, delta)
    if product is not None:
        _announce(product, "popularity")


def snapshot(
    product: Product | None, shop: Shop | None, now: datetime, sku: str | None = None
) -> ProductSnapshot:
    """How a cart line sees ``product`` (its variant ``sku``) at ``now``: unavailable
    unless listed, and unless ``sku`` names one of its variants when it has any (a
    product without variants has no SKUs)."""
    if product is None or not is_listed(product, shop):
        return ProductSnapshot(product_id=product.product_id if product else "", sku=sku)
    variant = product.variant(sku) if sku else None
    if (variant is None) != (not product.variants):
        return ProductSnapshot(product_id=product.product_id, sku=sku)
    image = next((i for i in product.images if variant and i.image_id == variant.image_id), None)
    return ProductSnapshot(
        product_id=product.product_id,
        available=True,
        shop_id=product.shop_id,
        title=product.title,
        sku=sku,
        color=variant.color if variant else None,
        size=variant.size if variant else None,
        stock=variant.stock if variant else product.stock,
        unit_price=product.variant_price_at(variant, now) if variant else product.price_at(now),
        list_price=variant.price if variant and variant.price else product.list_price,
        on_offer=product.on_offer_at(now),
        thumbnail_key=image.thumbnail_key if image else product.thumbnail_key,
    )


def products_for_cart(
    keys: Iterable[str], *, now: datetime | None = None
) -> dict[str, ProductSnapshot]:
    """Each product (or variant: ``stock_key(product_id, sku)``) as a cart line sees it
    now, by key (one batch read of the products and one of their shops); unknown ones
    come back unavailable too."""
    now = now or clock.now()
    wanted = list(dict.fromkeys(keys))
    repo = repository.get()
    found = repo.products(split_stock_key(key)[0] for key in wanted)
    shops_by_id = repo.shops({product.shop_id for product in found.values()})
    out: dict[str, ProductSnapshot] = {}
    for key in wanted:
        product_id, sku = split_stock_key(key)
        product = found.get(product_id)
        shop = shops_by_id.get(product.shop_id) if product else None
        out[key] = replace(snapshot(product, shop, now, sku), product_id=product_id)
    return out


def buyable_product(
    product_id: str, *, sku: str | None = None, now: datetime | None = None
) -> ProductSnapshot:
    """A product (its variant ``sku``) shoppers may see and buy, priced now.

    Raises NotFoundError (no such product or variant), VariantRequiredError (a product
    with variants is bought by SKU).
    """
    product, shop = visible_product(product_id)
    if product.variants and not sku:
        raise VariantRequiredError(
            "Choose a variant: this product is sold by size and colour",
            details=[
                {
                    "field": "sku",
                    "message": "one of " + ", ".join(v.sku for v in product.variants),
                    "type": "missing",
                }
            ],
        )
    if sku and product.variant(sku) is None:
        raise NotFoundError("No such variant", details={"product_id": product_id, "sku": sku})
    return snapshot(product, shop, now or clock.now(), sku)


def check_stock(product: ProductSnapshot, quantity: int) -> None:
    """Raise OutOfStockError if fewer than ``quantity`` units are in stock."""
    if quantity > product.stock:
        raise OutOfStockError(
            f"Only {product.stock} of {product.title!r} in stock",
            details={
                "product_id": product.product_id,
                **({"sku": product.sku} if product.sku else {}),
                "available": product.stock,
                "requested": quantity,
            },
        )


def cards(product_ids: Iterable[str], *, now: datetime | None = None) -> dict[str, ProductCard]:
    """The cards of the active ones of ``product_ids`` (one batch read), by id."""
    now = now or clock.now()
    found = repository.get().products(product_ids)
    return {
        product_id: ProductCard.of_product(product, now)
        for product_id, product in found.items()
        if product.is_active
    }


def recommendable(
    product_ids: Iterable[str], *, now: datetime | None = None
) -> dict[str, ProductCard]:
    """The cards of those of ``product_ids`` a shopper may find and buy now: active (not
    deleted), in a visible shop (not deleted, seller not banned) and in stock; by id (one
    batch read of the products and one of their shops)."""
    now = now or clock.now()
    repo = repository.get()
    found = repo.products(product_ids)
    shops_by_id = repo.shops({product.shop_id for product in found.values()})
    return {
        product_id: ProductCard.of_product(product, now)
        for product_id, product in found.items()
        if is_listed(product, shops_by_id.get(product.shop_id)) and product.stock > 0
    }


def media_url(key: str | None) -> str | None:
    """A time-limited URL for a catalog media key (a thumbnail), or None."""
    return media.url_for(key)
