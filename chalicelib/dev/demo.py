"""Demo catalog for ``make dev``, tests and the benchmark: shops, products with images.

Products are generated deterministically and loaded in bulk (batch writes for the items,
their slug claims and their search postings) instead of one event each, so hundreds
load in seconds and 10,000 in about a minute. Demo images are real images made with
Pillow and stored as the image pipeline stores them; products share a small set of them.
Development scaffolding: ``load`` writes through the catalog repository's bulk methods
(no events, no checks), which no request path uses.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta

from PIL import Image, ImageDraw

from chalicelib.catalog import repository
from chalicelib.catalog.domain import Product, ProductImage, Shop, slugify
from chalicelib.catalog.schemas import ShopInput
from chalicelib.catalog.service import images, shops, site_config
from chalicelib.core import aws, clock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.settings import get_settings

CATEGORIES: dict[str, list[str]] = {
    "shoes": ["sneakers", "boots", "sandals"],
    "clothing": ["shirts", "jackets", "dresses"],
    "home": ["kitchen", "lighting", "decor"],
    "electronics": ["audio", "phones", "accessories"],
    "sports": ["fitness", "outdoor", "cycling"],
}
COLORS = ["red", "black", "white", "blue", "green", "grey", "yellow"]
SIZES = ["xs", "s", "m", "l", "xl", "38", "40", "42", "44"]
TAGS = ["eco", "bestseller", "new", "vintage", "handmade", "summer", "winter", "gift"]
BRANDS = ["Acme", "Zenith", "Orbit", "Nimbus", "Quill", "Atlas", "Koda"]
ADJECTIVES = ["Classic", "Urban", "Cozy", "Trail", "Light", "Bold", "Smart", "Pro"]
NOUNS = {
    "shoes": ["Sneakers", "Boots", "Sandals", "Runners"],
    "clothing": ["Shirt", "Jacket", "Dress", "Hoodie"],
    "home": ["Lamp", "Mug", "Pan", "Vase"],
    "electronics": ["Headphones", "Charger", "Speaker", "Case"],
    "sports": ["Bottle", "Mat", "Helmet", "Backpack"],
}
PALETTE = [(220, 60, 60), (30, 30, 30), (240, 240, 240), (40, 90, 200), (40, 160, 80)]


def ensure_categories() -> None:
    """Configure the demo categories unless an admin already configured some."""
    if not site_config.categories():
        site_config.save_config(categories_map=CATEGORIES)


def ensure_shop(account_id: str, name: str, category: str) -> Shop:
    """The seller's shop, created if they have none."""
    existing = shops.shop_of_seller(account_id)
    if existing is not None:
        return existing
    return shops.create_shop(
        Caller(account_id=account_id, role=Role.SELLER),
        ShopInput.model_validate(
            {
                "name": name,
                "category": category,
                "description": f"{name}: demo shop",
                "address": {
                    "line1": "1 Market Street",
                    "city": "Springfield",
                    "postal_code": "12345",
                    "country": "US",
                },
            }
        ),
    )


def demo_images(count: int = 10) -> list[ProductImage]:
    """Render ``count`` demo pictures with Pillow and store their renditions once."""
    settings = get_settings()
    s3 = aws.client("s3")
    made = []
    for n in range(count):
        picture = Image.new("RGB", (640, 480), PALETTE[n % len(PALETTE)])
        pen = ImageDraw.Draw(picture)
        pen.ellipse((160 + n * 8, 100, 480 - n * 8, 380), fill=PALETTE[(n + 2) % len(PALETTE)])
        pen.text((20, 20), f"Bazaar demo {n + 1}", fill=(255, 255, 255))
        keys: dict[str, str] = {}
        for name, (side, fmt) in images.RENDITIONS.items():
            extension = "jpg" if fmt == "JPEG" else "webp"
            key = f"media/demo/{n}/{name}.{extension}"
            s3.put_object(
                Bucket=settings.media_bucket,
                Key=key,
                Body=images.render(picture, side, fmt),
                ContentType="image/jpeg" if fmt == "JPEG" else "image/webp",
            )
            keys[name] = key
        made.append(
            ProductImage(
                image_id=f"demo-{n}",
                width=640,
                height=480,
                thumbnail_key=keys["thumbnail"],
                medium_key=keys["medium"],
                full_key=keys["full"],
            )
        )
    return made


def generate(
    shop_list: list[Shop],
    count: int,
    *,
    seed: int = 7,
    pictures: list[ProductImage] | None = None,
) -> list[Product]:
    """``count`` varied products spread over ``shop_list`` (deterministic for a seed)."""
    rng = random.Random(seed)
    now = clock.now()
    currency = get_settings().currency
    made = []
    for n in range(count):
        shop = shop_list[n % len(shop_list)]
        category = rng.choice(sorted(CATEGORIES))
        title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS[category])}"
        product_id = f"demo{seed:02d}{n:06d}" + "0" * 16
        regular = rng.randrange(500, 50_000, 100)
        created = now - timedelta(minutes=count - n)
        made.append(
            Product(
                product_id=product_id,
                shop_id=shop.shop_id,
                seller_id=shop.owner_id,
                title=title,
                slug=f"{slugify(title)}-{product_id[:10]}",
                description=None,
                category=category,
                subcategory=rng.choice(CATEGORIES[category]),
                brand=rng.choice(BRANDS),
                tags=tuple(rng.sample(TAGS, rng.randint(0, 3))),
                colors=tuple(rng.sample(COLORS, rng.randint(1, 3))),
                sizes=tuple(rng.sample(SIZES, rng.randint(0, 3))),
                regular_price=regular,
                sale_price=regular - regular // 5 if rng.random() < 0.25 else None,
                currency=currency,
                stock=rng.randint(0, 40),
                images=(pictures[n % len(pictures)],) if pictures else (),
                popularity=rng.randint(0, 500),
                created_at=created,
                updated_at=created,
                version=1,
            )
        )
    return made


def load(products_to_load: Iterable[Product]) -> int:
    """Store products, their slug claims and their search postings with batch writes."""
    items = list(products_to_load)
    repo = repository.get()
    repo.load_products(items)
    repo.post_many(items)
    return len(items)
