"""The recommendation routes over HTTP (Chalice's test client on moto)."""

from __future__ import annotations

from typing import Any

from chalicelib.core import model_store
from chalicelib.recommendations.service.workflow import new_run_id
from functions.recs_training import run_task
from tests.integration.recommendations.conftest import World, write_lake


def _publish(world: World) -> str:
    write_lake(world)
    run_id = new_run_id()
    for task in ("extract", "train", "evaluate", "publish"):
        run_task({"task": task, "run_id": run_id, "params": {"l2": 5.0, "prior_weight": 0.01}})
    return run_id


def test_a_cold_user_gets_popular_products_and_pages_through_them(world: World) -> None:
    from tests.integration.recommendations.conftest import _person

    _publish(world)
    _, token = _person(world.client)
    first = world.client.call("GET", "/me/recommendations?limit=3", token=token)
    assert first.status_code == 200, first.body
    assert first.json_body["strategy"] == "popular"
    assert len(first.json_body["items"]) == 3
    cursor = first.json_body["next_cursor"]
    second = world.client.call("GET", f"/me/recommendations?limit=3&cursor={cursor}", token=token)
    ids = [i["product"]["product_id"] for i in first.json_body["items"]]
    ids += [i["product"]["product_id"] for i in second.json_body["items"]]
    assert len(set(ids)) == 6
    home = world.client.call("GET", "/me/recommendations?category=home", token=token).json_body
    assert home["items"]
    assert {i["product"]["category"] for i in home["items"]} == {"home"}


def test_related_products_exclude_out_of_stock_and_deleted_ones(world: World) -> None:
    from chalicelib.catalog.schemas import ProductPatch
    from chalicelib.catalog.service import products

    version = _publish(world)
    assert model_store.current_version("recs") == version
    group = world.group(2)
    # Given one group-mate out of stock and another deleted
    product = products.get_product(group[1])
    assert product is not None
    products.update_product(
        world.seller,
        group[1],
        ProductPatch.model_validate({"stock": 0, "version": product.version}),
    )
    products.delete_product(world.seller, group[2])
    # When the related products of the group's first product are asked for
    response = world.client.call("GET", f"/products/{group[0]}/related?limit=4")
    assert response.status_code == 200, response.body
    ids = [i["product"]["product_id"] for i in response.json_body["items"]]
    # Then what was bought with it comes first, and neither of the others comes at all
    assert ids[0] in (group[3], group[4]), [world.products.index(i) for i in ids]
    assert group[1] not in ids
    assert group[2] not in ids
    assert group[0] not in ids


def test_bad_requests_are_clear(api: Any, aws_env: Any) -> None:
    from tests.fixtures.http import ApiClient
    from tests.integration.recommendations.conftest import _person

    client = ApiClient(api)
    _, token = _person(client)
    assert client.call("GET", "/me/recommendations").status_code == 401
    assert client.call("GET", "/me/recommendations?cursor=nope", token=token).status_code == 400
    assert client.call("GET", "/me/recommendations?limit=0", token=token).status_code == 400
    assert client.call("GET", "/me/recommendations?sort=x", token=token).status_code == 422
    assert client.call("GET", "/products/nope/related").status_code == 404
    assert client.call("GET", "/products/x/related?limit=0").status_code == 400
