"""The catalog's resources deploy with their wiring (tables, rules, queues, workflows)."""

from __future__ import annotations

import json

import boto3

from localcloud.deploy import Deployment


def test_catalog_tables_rules_workflows_and_schedules(aws_env: Deployment) -> None:
    physical = aws_env.physical
    dynamodb = boto3.client("dynamodb")
    search = dynamodb.describe_table(TableName=physical["SearchTable"])["Table"]
    assert sorted(i["IndexName"] for i in search["GlobalSecondaryIndexes"]) == [
        "by-newest",
        "by-popularity",
        "by-price",
        "by-rating",
    ]
    catalog = dynamodb.describe_table(TableName=physical["CatalogTable"])["Table"]
    indexes = sorted(i["IndexName"] for i in catalog["GlobalSecondaryIndexes"])
    assert indexes == ["gsi1", "gsi2", "gsi3"]

    rule = boto3.client("events").describe_rule(
        Name=physical["CatalogIndexRule"], EventBusName=physical["EventBus"]
    )
    assert "account.banned" in json.loads(rule["EventPattern"])["detail-type"]

    assert {"ProductPurgeStateMachine", "ShopPurgeStateMachine"} <= set(aws_env.state_machines)
    schedules = {s.name: (s.function, s.input) for s in aws_env.schedules}
    assert schedules["bazaar-test-product-purge"] == (
        "bazaar-test-catalog-purge-start",
        '{"workflow": "products"}',
    )
    assert schedules["bazaar-test-shop-purge"][1] == '{"workflow": "shops"}'
    assert schedules["bazaar-test-cart-abandoned"][0] == "bazaar-test-cart-abandoned"
    sources = {s.function: s for s in aws_env.queue_sources}
    assert sources["bazaar-test-catalog-indexer"].report_batch_item_failures
    assert sources["bazaar-test-product-images"].report_batch_item_failures
    env = aws_env.functions["bazaar-test-catalog-purge-start"].environment
    assert (
        env["BAZAAR_PRODUCT_PURGE_STATE_MACHINE_ARN"]
        == (aws_env.state_machines["ProductPurgeStateMachine"])
    )
