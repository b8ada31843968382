"""Offers: time-boxed sales a seller puts on some of their products.

The offer is stored once and its terms copied onto each product it covers, so a product
read knows its price at any moment (``Product.price_at``) and the search index can
filter on it; each covered product publishes ``product.updated``.
"""

from __future__ import annotations

from chalicelib.catalog import repository
from chalicelib.catalog.domain import Offer, Product
from chalicelib.catalog.schemas import OfferInput
from chalicelib.catalog.service import products, shops
from chalicelib.core import clock
from chalicelib.core.caller import Caller
from chalicelib.core.dynamo import new_id
from chalicelib.core.errors import NotFoundError, ValidationFailedError


def create_offer(caller: Caller, body: OfferInput) -> Offer:
    """Put an offer on products of the caller's shop (422 if one is not theirs or deleted)."""
    shop = shops.owned_shop(caller)
    product_ids = list(dict.fromkeys(body.product_ids))
    found: list[Product] = []
    bad: list[str] = []
    for product_id in product_ids:
        product = products.get_product(product_id)
        if product is None or product.shop_id != shop.shop_id or not product.is_active:
            bad.append(product_id)
        else:
            found.append(product)
    if bad:
        raise ValidationFailedError(
            "Invalid request: product_ids",
            details=[
                {
                    "field": "product_ids",
                    "message": f"not active products of your shop: {', '.join(bad)}",
                    "type": "unknown_product",
                }
            ],
        )
    offer = Offer(
        offer_id=new_id(),
        shop_id=shop.shop_id,
        name=body.name,
        percent_off=body.percent_off,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        product_ids=tuple(product_ids),
        created_at=clock.now(),
    )
    repository.get().add_offer(offer)
    for product in found:
        products.set_offer(product, offer.terms())
    return offer


def list_offers(shop_id: str) -> list[Offer]:
    """A shop's offers."""
    return repository.get().offers(shop_id)


def shop_offers(shop_id: str) -> list[Offer]:
    """A visible shop's offers (NotFoundError for a shop shoppers may not see)."""
    shops.visible_shop(shop_id)
    return list_offers(shop_id)


def end_offer(caller: Caller, offer_id: str) -> None:
    """Remove an offer and take it off its products."""
    shop = shops.owned_shop(caller)
    offer = repository.get().offer(shop.shop_id, offer_id)
    if offer is None:
        raise NotFoundError("No such offer", details={"offer_id": offer_id})
    for product_id in offer.product_ids:
        product = products.get_product(product_id)
        if product is not None and product.offer is not None and product.offer.offer_id == offer_id:
            products.set_offer(product, None)
    repository.get().delete_offer(offer)
