"""The purge workflows' tasks: expired products and shops go for good; emails get blocked."""

from __future__ import annotations

import boto3

from tests.integration.catalog.conftest import World, attach_image, png_bytes, product_body


def invoke_task(world: World, **event: object) -> dict[str, object]:
    result = world.runtime.invoke("bazaar-test-catalog-purge-task", event)
    assert not result.failed, result.error
    payload: dict[str, object] = result.payload
    return payload


def test_expired_products_are_purged_with_their_images_and_restored_ones_are_not(
    world: World,
) -> None:
    from chalicelib.catalog.domain import SearchQuery
    from chalicelib.catalog.service import browse, products
    from chalicelib.core import clock

    seller, _ = world.seller_with_shop()
    with clock.controlled() as manual:
        doomed = products.create_product(seller.caller, product_body(title="Doomed"))
        saved = products.create_product(seller.caller, product_body(title="Saved"))
        fresh = products.create_product(seller.caller, product_body(title="Fresh"))
        attach_image(world, doomed.product_id, png_bytes(), "image/png")
        world.pump()
        for product in (doomed, saved):
            products.delete_product(seller.caller, product.product_id)
        products.restore_product(seller.caller, saved.product_id)
        manual.advance(hours=12)
        products.delete_product(seller.caller, fresh.product_id)
        manual.advance(hours=13)
        as_of = clock.iso(manual.now())

    listed = invoke_task(world, task="list_products", as_of=as_of, round=0)
    assert listed == {"ids": [doomed.product_id], "count": 1}
    done = invoke_task(world, task="purge_products", ids=listed["ids"], as_of=as_of, round=0)
    assert done == {"round": 1, "purged": 1}
    assert invoke_task(world, task="list_products", as_of=as_of, round=1)["count"] == 0

    assert products.get_product(doomed.product_id) is None
    assert products.get_product(saved.product_id) is not None
    assert products.get_product(fresh.product_id) is not None  # its window is still open
    listed_media = boto3.client("s3").list_objects_v2(
        Bucket=world.deployment.physical["MediaBucket"],
        Prefix=f"media/products/{doomed.product_id}/",
    )
    assert listed_media.get("KeyCount", 0) == 0
    posted = browse.find(SearchQuery(text="doomed")).items
    assert posted == []


def test_an_expired_shop_is_purged_and_its_sellers_email_blocked(world: World) -> None:
    from chalicelib.catalog import blocklist
    from chalicelib.catalog.service import products, shops
    from chalicelib.core import clock

    seller, shop = world.seller_with_shop()
    survivor, survivor_shop = world.seller_with_shop()
    with clock.controlled() as manual:
        owned = [
            products.create_product(seller.caller, product_body(title=f"Item {n}"))
            for n in range(3)
        ]
        shops.delete_shop(seller.caller, shop.shop_id)
        shops.delete_shop(survivor.caller, survivor_shop.shop_id)
        manual.advance(days=10)
        shops.restore_shop(survivor.caller, survivor_shop.shop_id)
        manual.advance(days=19)
        as_of = clock.iso(manual.now())

    listed = invoke_task(world, task="list_shops", as_of=as_of, round=0)
    assert listed == {"next": shop.shop_id, "count": 1}
    step = invoke_task(world, task="purge_shop_products", shop_id=shop.shop_id, as_of=as_of)
    assert step == {"purged": 3, "more": False}
    finished = invoke_task(
        world, task="finish_shop", shop_id=shop.shop_id, as_of=as_of, round=0, purged=0
    )
    assert finished == {"round": 1, "purged": 1}
    assert invoke_task(world, task="list_shops", as_of=as_of, round=1)["count"] == 0

    assert shops.get_shop(shop.shop_id) is None
    assert all(products.get_product(p.product_id) is None for p in owned)
    assert blocklist.is_email_blocked(seller.email.upper())
    assert not blocklist.is_email_blocked(survivor.email)
    assert shops.get_shop(survivor_shop.shop_id) is not None
    # The shop's slug and the seller's one-shop claim are free again.
    assert shops.shop_of_seller(seller.account_id) is None


def test_the_starter_runs_the_state_machine_named_in_settings(world: World) -> None:
    from functions.catalog_purge_start import start

    started = start("products", "2026-01-01T00:00:00+00:00")
    assert started["execution_arn"].startswith(
        world.deployment.state_machines["ProductPurgeStateMachine"].replace(
            ":stateMachine:", ":execution:"
        )
    )
    assert (
        boto3.client("stepfunctions").describe_execution(executionArn=started["execution_arn"])[
            "input"
        ]
        == '{"as_of": "2026-01-01T00:00:00+00:00", "progress": {"round": 0, "purged": 0}}'
    )


def test_purge_round_limit_stops_a_runaway_loop() -> None:
    from functions.catalog_purge_task import run_task

    assert run_task({"task": "list_products", "as_of": None, "round": 10_000}) == {
        "ids": [],
        "count": 0,
    }
