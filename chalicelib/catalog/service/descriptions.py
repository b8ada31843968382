"""Draft marketing descriptions from a product's attributes (the seller edits, then saves).

With ``BAZAAR_DESCRIPTIONS_PROVIDER=bedrock`` the draft comes from Amazon Bedrock
(``bedrock-runtime`` Converse, model ``BAZAAR_BEDROCK_MODEL_ID``); otherwise, and
whenever Bedrock fails, from a deterministic offline generator whose answer says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chalicelib.catalog.domain import Product
from chalicelib.catalog.service import products
from chalicelib.core import bedrock
from chalicelib.core.caller import Caller
from chalicelib.core.settings import get_settings

OPENINGS = [
    "Meet the {title}",
    "Say hello to the {title}",
    "Discover the {title}",
    "Introducing the {title}",
]
CLOSINGS = [
    "A smart pick you will reach for again and again.",
    "Made to be enjoyed every day.",
    "Add it to your cart before it is gone.",
    "Quality you can see and feel.",
]


@dataclass(frozen=True)
class DescriptionDraft:
    """A drafted description and where it came from."""

    text: str
    provider: str
    offline: bool
    note: str


def _pick(options: list[str], seed: str) -> str:
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return options[digest % len(options)]


def _join(values: list[str]) -> str:
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


def offline_description(product: Product) -> str:
    """The same attributes always give the same text (tests and offline demos rely on it)."""
    seed = f"{product.title}|{product.brand}|{product.category}"
    parts = [_pick(OPENINGS, seed).format(title=product.title.strip())]
    if product.brand:
        parts[0] += f" by {product.brand}"
    parts[0] += "."
    kind = (product.subcategory or product.category).replace("-", " ")
    parts.append(f"A standout choice in {kind}.")
    if product.colors:
        parts.append(f"Available in {_join(list(product.colors))}.")
    if product.sizes:
        parts.append(f"Sizes: {_join(list(product.sizes))}.")
    if product.tags:
        parts.append(f"Perfect for anyone into {_join(list(product.tags)[:3])}.")
    parts.append(_pick(CLOSINGS, seed[::-1]))
    return " ".join(parts)


def _prompt(product: Product) -> str:
    facts = {
        "title": product.title,
        "brand": product.brand,
        "category": product.category,
        "subcategory": product.subcategory,
        "colors": list(product.colors),
        "sizes": list(product.sizes),
        "tags": list(product.tags),
    }
    return (
        "Write a 60-90 word marketing description for an online shop product. Use only "
        f"these facts, invent no specifications, plain text only: {facts}"
    )


def describe(product: Product) -> DescriptionDraft:
    """A description draft for ``product`` (never saved here)."""
    if get_settings().descriptions_provider == "bedrock":
        text = bedrock.converse(_prompt(product))
        if text:
            return DescriptionDraft(
                text=text, provider="bedrock", offline=False, note="Drafted by Amazon Bedrock"
            )
    return DescriptionDraft(
        text=offline_description(product),
        provider="offline",
        offline=True,
        note="Drafted offline by a template generator (no language model is configured)",
    )


def draft_description(caller: Caller, product_id: str) -> DescriptionDraft:
    """A description draft for a product of the caller's shop (404/403 as for edits)."""
    return describe(products.owned_product(caller, product_id))
