"""Products: seller CRUD on their own shop's products, optimistic locking, soft delete.

Every change publishes ``product.updated`` (or ``product.deleted``); the search index
follows from those events (``chalicelib.catalog.indexer``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.catalog import shops
from chalicelib.catalog.actor import Actor
from chalicelib.catalog.common import new_id, publish, slugify
from chalicelib.catalog.errors import RestoreWindowClosedError, StaleVersionError
from chalicelib.catalog.events import ProductDeleted, ProductUpdated
from chalicelib.catalog.inputs import ProductInput, ProductPatch
from chalicelib.catalog.models import (
    ACTIVE,
    DELETED,
    PRODUCT_SK,
    PRODUCTS_DELETED,
    SLUG_SK,
    Claim,
    Product,
    Shop,
    product_pk,
    product_slug_pk,
    shop_products_pk,
)
from chalicelib.catalog.pricing import list_price
from chalicelib.catalog.site_config import require_category
from chalicelib.core import clock
from chalicelib.core.dynamo import transaction_connection
from chalicelib.core.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings

CONDITION_FAILED = "ConditionalCheckFailedException"


def _created_key(moment: datetime, product_id: str) -> str:
    return f"{clock.iso(moment)}#{product_id}"


def get_product(product_id: str) -> Product | None:
    """The product in any state (strongly consistent), or None."""
    try:
        return Product.get(product_pk(product_id), PRODUCT_SK, consistent_read=True)
    except Product.DoesNotExist:
        return None


def visible_product(product_id: str) -> tuple[Product, Shop]:
    """A product shoppers may see, with its shop; NotFoundError otherwise.

    Deleted products, and products of deleted shops or banned sellers, are not found.
    """
    product = get_product(product_id)
    if product is None or product.status != ACTIVE:
        raise NotFoundError("No such product", details={"product_id": product_id})
    shop = shops.get_shop(product.shop_id)
    if shop is None or not shop.visible:
        raise NotFoundError("No such product", details={"product_id": product_id})
    return product, shop


def owned_product(actor: Actor, product_id: str) -> Product:
    """A product of the actor's shop (admins: any). 404 unknown, 403 another seller's."""
    product = get_product(product_id)
    if product is None:
        raise NotFoundError("No such product", details={"product_id": product_id})
    if product.seller_id != actor.account_id and not actor.is_admin:
        raise ForbiddenError("This product belongs to another seller")
    return product


def _unique_slug(shop_id: str, wanted: str | None, title: str, product_id: str) -> str:
    return wanted or f"{slugify(title, max_length=60)}-{product_id[:6]}"


def create_product(actor: Actor, body: ProductInput) -> Product:
    """Add a product to the actor's active shop; ConflictError if the slug is taken."""
    shop = shops.owned_shop(actor)
    if shop.status != ACTIVE:
        raise ConflictError("Your shop is deleted; restore it before adding products")
    require_category(body.category, body.subcategory)
    now = clock.now()
    product_id = new_id()
    slug = _unique_slug(shop.shop_id, body.slug, body.title, product_id)
    product = Product(
        pk=product_pk(product_id),
        product_id=product_id,
        shop_id=shop.shop_id,
        seller_id=shop.owner_id,
        title=body.title,
        slug=slug,
        description=body.description,
        category=body.category,
        subcategory=body.subcategory,
        brand=body.brand,
        tags=list(body.tags),
        colors=list(body.colors),
        sizes=list(body.sizes),
        regular_price=body.regular_price,
        sale_price=body.sale_price,
        currency=get_settings().currency,
        stock=body.stock,
        images=[],
        popularity=0,
        status=ACTIVE,
        created_at=now,
        updated_at=now,
        gsi1pk=shop_products_pk(shop.shop_id),
        gsi1sk=_created_key(now, product_id),
    )
    claim = Claim(pk=product_slug_pk(shop.shop_id, slug), sk=SLUG_SK, owner_id=product_id)
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(claim, condition=Claim.pk.does_not_exist())
            transaction.save(product, condition=Product.pk.does_not_exist())
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        raise ConflictError(
            f"Your shop already has a product at {slug!r}", details={"slug": slug}
        ) from None
    product.version = 1
    publish(_updated(product, "created"))
    return product


def _updated(product: Product, change: Any) -> ProductUpdated:
    return ProductUpdated(
        product_id=product.product_id,
        shop_id=product.shop_id,
        version=int(product.version or 0),
        change=change,
    )


def update_product(actor: Actor, product_id: str, patch: ProductPatch) -> Product:
    """Apply ``patch`` if the product is still at ``patch.version``; else StaleVersionError."""
    product = owned_product(actor, product_id)
    if product.status != ACTIVE:
        raise ConflictError("A deleted product cannot be edited; restore it first")
    current = int(product.version or 0)
    if patch.version != current:
        raise StaleVersionError(
            "The product changed since you read it; reload and try again",
            details={"current_version": current, "your_version": patch.version},
        )
    changes = patch.model_dump(exclude_unset=True, exclude={"version", "clear_sale_price"})
    category = changes.get("category", product.category)
    subcategory = changes.get("subcategory", product.subcategory)
    if "category" in changes and "subcategory" not in changes:
        subcategory = None
    if "category" in changes or "subcategory" in changes:
        require_category(category, subcategory)
    old_slug = product.slug
    for name, value in changes.items():
        setattr(product, name, value)
    product.subcategory = subcategory
    if patch.clear_sale_price:
        product.sale_price = None
    if product.sale_price is not None and product.sale_price >= product.regular_price:
        raise _sale_not_below_regular()
    product.updated_at = clock.now()
    try:
        with TransactWrite(connection=transaction_connection()) as transaction:
            transaction.save(product)
            if product.slug != old_slug:
                transaction.delete(Claim(pk=product_slug_pk(product.shop_id, old_slug), sk=SLUG_SK))
                transaction.save(
                    Claim(
                        pk=product_slug_pk(product.shop_id, product.slug),
                        sk=SLUG_SK,
                        owner_id=product.product_id,
                    ),
                    condition=Claim.pk.does_not_exist(),
                )
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        reasons = [str(getattr(r, "code", "")) for r in (error.cancellation_reasons or []) if r]
        if product.slug != old_slug and reasons[-1:] == [CONDITION_FAILED]:
            raise ConflictError(
                f"Your shop already has a product at {product.slug!r}",
                details={"slug": product.slug},
            ) from None
        raise StaleVersionError(
            "The product changed since you read it; reload and try again",
            details={"your_version": patch.version},
        ) from None
    publish(_updated(product, "updated"))
    return product


def _sale_not_below_regular() -> Exception:
    from chalicelib.core.errors import ValidationFailedError

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


def delete_product(actor: Actor, product_id: str) -> Product:
    """Soft-delete: hidden at once, restorable for the restore window, then purged."""
    product = owned_product(actor, product_id)
    if product.status == DELETED:
        return product
    now = clock.now()
    purge_after = now + timedelta(hours=get_settings().product_restore_hours)
    _set_state(
        product,
        status=DELETED,
        deleted_at=now,
        purge_after=purge_after,
        gsi2pk=PRODUCTS_DELETED,
        gsi2sk=_created_key(purge_after, product.product_id),
    )
    publish(
        ProductDeleted(
            product_id=product.product_id,
            shop_id=product.shop_id,
            purge_after=clock.iso(purge_after),
        )
    )
    return product


def restore_product(actor: Actor, product_id: str) -> Product:
    """Undo a soft delete inside the window; RestoreWindowClosedError after it."""
    product = owned_product(actor, product_id)
    if product.status == ACTIVE:
        return product
    if product.purge_after is None or clock.now() >= product.purge_after:
        raise RestoreWindowClosedError("The restore window of this product has closed")
    _set_state(product, status=ACTIVE, deleted_at=None, purge_after=None, gsi2pk=None, gsi2sk=None)
    publish(_updated(product, "restored"))
    return product


def _set_state(product: Product, **values: Any) -> None:
    actions = []
    for name, value in values.items():
        attribute = getattr(Product, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    actions.append(Product.updated_at.set(clock.now()))
    try:
        product.update(actions=actions)
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            raise StaleVersionError("The product changed meanwhile; try again") from None
        raise


def list_shop_products(
    shop_id: str, *, limit: int, cursor: str | None, include_deleted: bool
) -> Page[Product]:
    """A shop's products, newest first (a Query on gsi1). Shoppers never see deleted ones."""
    results = Product.by_shop.query(
        shop_products_pk(shop_id),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor),
        filter_condition=None if include_deleted else Product.status == ACTIVE,
    )
    items = list(results)
    return Page(items=items, next_cursor=encode_cursor(results.last_evaluated_key))


def all_shop_product_ids(shop_id: str) -> list[str]:
    """Every product id of a shop, deleted ones too (purges and re-indexing)."""
    return [
        item.product_id
        for item in Product.by_shop.query(
            shop_products_pk(shop_id), attributes_to_get=["pk", "sk", "product_id"]
        )
    ]


def expired_deleted_products(as_of: datetime, *, limit: int) -> list[str]:
    """Ids of soft-deleted products whose restore window closed before ``as_of``."""
    results = Product.deleted.query(
        PRODUCTS_DELETED, Product.gsi2sk < _created_key(as_of, ""), limit=limit
    )
    return [item.pk.removeprefix("PRODUCT#") for item in results]


def bump_popularity(product_id: str, delta: int) -> None:
    """Count a shopper's interest (wishlist) without touching the seller's version."""
    try:
        Product._get_connection().update_item(
            product_pk(product_id),
            range_key=PRODUCT_SK,
            actions=[Product.popularity.add(delta)],
            condition=Product.pk.exists(),
        )
    except UpdateError as error:
        if error.cause_response_code != CONDITION_FAILED:
            raise
        return
    product = get_product(product_id)
    if product is not None:
        publish(_updated(product, "popularity"))


def save_system_change(product: Product, actions: list[Any], change: Any) -> Product:
    """A change made by the platform (images, offers), not by the seller's form.

    It does not check the seller's version (last writer wins on these attributes) but
    still bumps it, so a seller editing a stale copy is told to reload.
    """
    try:
        product.update(
            actions=[*actions, Product.updated_at.set(clock.now())],
            condition=Product.pk.exists(),
            add_version_condition=False,
        )
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            raise NotFoundError("No such product") from None
        raise
    publish(_updated(product, change))
    return product


def put_product_for_load(product: Product) -> None:
    """Store a fully built product without events (bulk loads: seeds, benchmarks)."""
    try:
        product.save(condition=Product.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != CONDITION_FAILED:
            raise


def price_of(product: Product) -> int:
    """The product's list price (sale price when set)."""
    return list_price(int(product.regular_price), _int_or_none(product.sale_price))


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
