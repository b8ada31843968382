"""Health and status use cases on a fake of the probed resources."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.core.settings import get_settings
from chalicelib.platform import repository, service
from chalicelib.platform.schemas import HealthResponse, StatusResponse
from tests.fakes.platform import FakeDependencies


@pytest.fixture
def dependencies() -> Iterator[FakeDependencies]:
    fake = FakeDependencies()
    repository.use(fake)
    yield fake
    repository.use(None)


def test_health_is_ok_when_both_tables_and_the_bus_answer(dependencies: FakeDependencies) -> None:
    # Given every dependency answering; When health is checked
    health = service.check_health()
    # Then the connections and archive tables and the bus were each asked, and all is well
    settings = get_settings()
    assert sorted(health.checks) == sorted(
        [
            f"table:{settings.connections_table}",
            f"table:{settings.event_archive_table}",
            f"bus:{settings.event_bus_name}",
        ]
    )
    assert health.ok is True
    assert HealthResponse.of(health).model_dump()["checks"][f"bus:{settings.event_bus_name}"] == {
        "ok": True,
        "latency_ms": 1.0,
    }


def test_health_is_not_ok_when_a_table_does_not_answer(dependencies: FakeDependencies) -> None:
    # Given the event archive table gone
    archive = get_settings().event_archive_table
    dependencies.down.add(archive)
    # When health is checked
    report = HealthResponse.of(service.check_health())
    # Then it is not ok, and only that table's check failed, naming the error
    assert report.ok is False
    failed = {name: check for name, check in report.checks.items() if not check["ok"]}
    assert failed == {f"table:{archive}": {"ok": False, "error": "ResourceNotFoundException"}}


def test_status_names_the_service_and_stage_and_each_capability(
    dependencies: FakeDependencies,
) -> None:
    # When the status is asked for
    body = StatusResponse.model_validate(service.status_report(), from_attributes=True)
    # Then it names the service and stage, and one component per capability, all answering
    assert (body.service, body.stage) == ("bazaar", "test")
    assert set(body.components) == {
        "platform",
        "identity",
        "catalog",
        "cart",
        "orders",
        "chat",
        "reviews",
    }
    assert all(component["ok"] for component in body.components.values())
    identity = get_settings().identity_table
    assert body.components["identity"]["checks"] == {
        f"table:{identity}": {"ok": True, "latency_ms": 1.0}
    }
    assert f"bus:{get_settings().event_bus_name}" in body.components["platform"]["checks"]


def test_a_capability_whose_table_does_not_answer_is_not_ok(
    dependencies: FakeDependencies,
) -> None:
    # Given the search table gone
    dependencies.down.add(get_settings().search_table)
    # When the status is asked for
    components = service.status_report().components
    # Then only the catalog component is not ok, naming the table and the error
    assert [name for name, c in components.items() if not c["ok"]] == ["catalog"]
    failed = {k: v for k, v in components["catalog"]["checks"].items() if not v["ok"]}
    assert failed == {
        f"table:{get_settings().search_table}": {"ok": False, "error": "ResourceNotFoundException"}
    }
