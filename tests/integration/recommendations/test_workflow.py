"""The training workflow's steps on moto (extract from the lake and orders → train →
evaluate against the published model → publish only if not worse), and the API serving
each newly published version without a restart."""

from __future__ import annotations

from typing import Any

from chalicelib.recommendations.service.workflow import new_run_id
from functions.recs_training import run_task
from tests.integration.recommendations.conftest import World, write_lake

GOOD = {"l2": 5.0, "prior_weight": 0.01}
# Ranks by the last few hours' popularity alone: blind to what a user bought.
WORSE = {"l2": 5.0, "prior_weight": 100.0, "prior_days": 0.05, "neighbours": 1}


def run(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One workflow run, step by step as the state machine calls them."""
    run_id = new_run_id()
    extracted = run_task({"task": "extract", "run_id": run_id})
    assert extracted["enough"], extracted
    run_task({"task": "train", "run_id": run_id, "params": params})
    evaluation = run_task({"task": "evaluate", "run_id": run_id})
    if evaluation["publish"]:
        run_task({"task": "publish", "run_id": run_id})
    return run_id, evaluation


def recommendations(world: World) -> Any:
    response = world.client.call("GET", "/me/recommendations?limit=5", token=world.shopper_token)
    assert response.status_code == 200, response.body
    return response.json_body


def test_a_trained_model_is_published_and_served_and_a_worse_one_is_not(world: World) -> None:
    from chalicelib.core import model_store

    # Given a lake of purchases, and a shopper who viewed a product of group 0
    write_lake(world)
    # When the workflow runs for the first time
    first, evaluation = run(GOOD)
    # Then its model is published as current, with its evaluation beside popularity
    assert evaluation["publish"]
    assert evaluation["published"] is None
    assert evaluation["candidate"]["hr@10"] > evaluation["popularity"]["hr@10"]
    assert model_store.current_version("recs") == first
    # and the API serves it (no restart): the shopper gets group 0, because they viewed it
    body = recommendations(world)
    assert body["model_version"] == first
    assert body["strategy"] == "personal"
    top = [item["product"]["product_id"] for item in body["items"]]
    assert top[0] in world.group(0)[1:]
    assert world.group(0)[0] not in top
    assert body["items"][0]["reason"]["text"] == "because you viewed “Item 0”"
    # When a worse candidate is trained
    _, worse = run(WORSE)
    # Then it is not published: the first model is still current and served
    assert not worse["publish"], worse
    assert worse["candidate"]["hr@10"] < worse["published"]["hr@10"]
    assert model_store.current_version("recs") == first
    assert recommendations(world)["model_version"] == first
    # When a model at least as good is trained again, it replaces the first
    second, again = run(GOOD)
    assert again["publish"], again
    assert recommendations(world)["model_version"] == second


def test_orders_feed_the_training_and_what_was_bought_is_not_recommended(world: World) -> None:
    from dataclasses import replace

    from chalicelib.orders import repository
    from chalicelib.orders.domain import OrderStatus
    from tests.fakes.orders import new_checkout

    # Given the lake, and a paid order of the shopper for two products of group 1
    write_lake(world)
    bought = world.group(1)[:2]
    new = new_checkout(dict.fromkeys(bought, 1), user_id=world.shopper_id, shops=(world.shop_id,))
    new = replace(new, orders=tuple(replace(o, status=OrderStatus.PAID) for o in new.orders))
    repository.get().add_checkout(new, redemption=None)
    # When the workflow runs
    run(GOOD)
    # Then the shopper's profile has the purchases, and their group comes back without them
    ids = [i["product"]["product_id"] for i in recommendations(world)["items"]]
    assert not set(ids) & set(bought)
    assert set(world.group(1)[2:]) <= set(ids)
