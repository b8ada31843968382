"""Offers: time-boxed sales a seller puts on some of their products.

The offer is stored once and copied onto each product it covers (``Product.offer``), so
a product read knows its price at any moment (``pricing.effective_price``) and the
search index can filter on it; each covered product publishes ``product.updated``.
"""

from __future__ import annotations

from chalicelib.catalog import products, shops
from chalicelib.catalog.actor import Actor
from chalicelib.catalog.common import new_id
from chalicelib.catalog.inputs import OfferInput
from chalicelib.catalog.models import ACTIVE, Offer, Product, shop_pk
from chalicelib.core import clock
from chalicelib.core.errors import NotFoundError, ValidationFailedError


def create_offer(actor: Actor, body: OfferInput) -> Offer:
    """Put an offer on products of the actor's shop (422 if one is not theirs or deleted)."""
    shop = shops.owned_shop(actor)
    product_ids = list(dict.fromkeys(body.product_ids))
    found: list[Product] = []
    bad: list[str] = []
    for product_id in product_ids:
        product = products.get_product(product_id)
        if product is None or product.shop_id != shop.shop_id or product.status != ACTIVE:
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
        pk=shop_pk(shop.shop_id),
        sk=f"OFFER#{new_id()}",
        shop_id=shop.shop_id,
        name=body.name,
        percent_off=body.percent_off,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        product_ids=product_ids,
        created_at=clock.now(),
    )
    offer.offer_id = offer.sk.removeprefix("OFFER#")
    offer.save()
    summary = {
        "offer_id": offer.offer_id,
        "name": body.name,
        "percent_off": body.percent_off,
        "starts_at": clock.iso(body.starts_at),
        "ends_at": clock.iso(body.ends_at),
    }
    for product in found:
        products.save_system_change(product, [Product.offer.set(summary)], "offer")
    return offer


def list_offers(shop_id: str) -> list[Offer]:
    """A shop's offers."""
    return list(Offer.query(shop_pk(shop_id), Offer.sk.startswith("OFFER#")))


def end_offer(actor: Actor, offer_id: str) -> None:
    """Remove an offer and take it off its products."""
    shop = shops.owned_shop(actor)
    try:
        offer = Offer.get(shop_pk(shop.shop_id), f"OFFER#{offer_id}")
    except Offer.DoesNotExist:
        raise NotFoundError("No such offer", details={"offer_id": offer_id}) from None
    for product_id in offer.product_ids:
        product = products.get_product(product_id)
        if product is not None and (product.offer or {}).get("offer_id") == offer_id:
            products.save_system_change(product, [Product.offer.remove()], "offer")
    offer.delete()
