"""Pieces of the local cloud that need no AWS: schedules, the SQS poller's bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from localcloud.deploy import FunctionSpec, QueueSource
from localcloud.lambdas import LambdaRuntime
from localcloud.pollers import QueuePoller
from localcloud.scheduler import next_fire

NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(15 minutes)", datetime(2026, 11, 21, 12, 15, tzinfo=UTC)),
        ("rate(1 hour)", datetime(2026, 11, 21, 13, 0, tzinfo=UTC)),
        ("rate(1 day)", datetime(2026, 11, 22, 12, 0, tzinfo=UTC)),
        ("cron(30 3 * * ? *)", datetime(2026, 11, 22, 3, 30, tzinfo=UTC)),
        # AWS day-of-week 2 is Monday; 2026-11-21 is a Saturday.
        ("cron(0 9 ? * 2 *)", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
    ],
)
def test_next_fire(expression: str, expected: datetime) -> None:
    assert next_fire(expression, NOON) == expected


def test_next_fire_refuses_unknown_expressions() -> None:
    with pytest.raises(ValueError, match="Unsupported"):
        next_fire("every tuesday", NOON)


class FakeSqs:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        self.deleted: list[str] = []
        self.made_visible: list[str] = []

    def receive_message(self, **_: Any) -> dict[str, Any]:
        batch, self.messages = self.messages, []
        return {"Messages": batch}

    def delete_message_batch(self, Entries: list[dict[str, Any]], **_: Any) -> None:
        self.deleted += [entry["ReceiptHandle"] for entry in Entries]

    def change_message_visibility_batch(self, Entries: list[dict[str, Any]], **_: Any) -> None:
        self.made_visible += [entry["ReceiptHandle"] for entry in Entries]


def message(n: int) -> dict[str, Any]:
    return {
        "MessageId": f"m{n}",
        "ReceiptHandle": f"r{n}",
        "Body": f"{n}",
        "MD5OfBody": "x",
        "Attributes": {},
    }


def runtime_with(handler: Any) -> LambdaRuntime:
    runtime = LambdaRuntime("us-east-1")
    runtime.register(
        FunctionSpec("Fn", "fn", "tests.unit.test_localcloud_parts.unused", {}, 3, 128)
    )
    runtime._handlers["fn"] = handler
    return runtime


def poller(runtime: LambdaRuntime, sqs: FakeSqs, *, partial: bool = True) -> QueuePoller:
    source = QueueSource("fn", "url", "arn:aws:sqs:us-east-1:123456789012:q", 10, partial)
    return QueuePoller(source, runtime, sqs, wait_seconds=0, fast_retry=True)


def test_partial_batch_failure_deletes_only_the_successes() -> None:
    sqs = FakeSqs([message(1), message(2), message(3)])
    seen: list[int] = []

    def handler(event: dict[str, Any], _: Any) -> dict[str, Any]:
        seen.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": "m2"}]}

    assert poller(runtime_with(handler), sqs).poll_once() == 3
    assert seen == [3]
    assert sqs.deleted == ["r1", "r3"]
    assert sqs.made_visible == ["r2"]


def test_a_handler_crash_keeps_the_whole_batch() -> None:
    sqs = FakeSqs([message(1), message(2)])

    def handler(event: dict[str, Any], _: Any) -> None:
        raise RuntimeError("boom")

    poller(runtime_with(handler), sqs).poll_once()
    assert sqs.deleted == []
    assert sqs.made_visible == ["r1", "r2"]


def test_without_report_batch_item_failures_a_returned_list_is_ignored() -> None:
    sqs = FakeSqs([message(1)])
    poller(
        runtime_with(lambda *_: {"batchItemFailures": [{"itemIdentifier": "m1"}]}),
        sqs,
        partial=False,
    ).poll_once()
    assert sqs.deleted == ["r1"]


def test_invoke_reports_exception_class_as_error_type() -> None:
    class PaymentDeclined(Exception):
        pass

    def handler(*_: Any) -> None:
        raise PaymentDeclined("card declined")

    result = runtime_with(handler).invoke(
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST", {}
    )
    assert result.failed
    assert result.error is not None
    assert result.error["errorType"] == "PaymentDeclined"
    assert result.error["errorMessage"] == "card declined"


def test_scheduler_fires_each_schedule_when_it_falls_due() -> None:
    from localcloud.deploy import Schedule
    from localcloud.scheduler import Scheduler

    clock = {"now": NOON}
    fired: list[tuple[str, str]] = []

    def handler(event: dict[str, Any], _: Any) -> None:
        fired.append((event["resources"][0].rsplit("/", 1)[1], event["time"]))

    runtime = runtime_with(handler)

    def wait(seconds: float) -> bool:
        clock["now"] = clock["now"] + timedelta(seconds=seconds)
        return False

    schedules = [
        Schedule("every-15", "rate(15 minutes)", "fn"),
        Schedule("hourly", "rate(1 hour)", "fn"),
    ]
    scheduler = Scheduler(schedules, runtime, now=lambda: clock["now"], wait=wait)
    scheduler.run_until_stopped(max_fires=5)
    assert fired == [
        ("every-15", "2026-11-21T12:15:00Z"),
        ("every-15", "2026-11-21T12:30:00Z"),
        ("every-15", "2026-11-21T12:45:00Z"),
        ("every-15", "2026-11-21T13:00:00Z"),
        ("hourly", "2026-11-21T13:00:00Z"),
    ]
    assert scheduler.run_now("hourly").failed is False
    assert fired[-1][0] == "hourly"


def test_each_thread_has_its_own_log_context_once_isolated() -> None:
    import io
    import json
    import logging
    import threading

    from aws_lambda_powertools import Logger

    from localcloud.logs import isolate_per_thread

    # Given a Powertools logger isolated per thread (what the local cloud does to Bazaar's)
    log = Logger(service="isolation-test", level="INFO", logger_handler=logging.NullHandler())
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(log.registered_formatter)
    log._logger.addHandler(capture)
    isolate_per_thread(log)
    isolate_per_thread(log)  # idempotent

    # When one thread (a saga step) appends keys while another (the API) logs
    def saga_step() -> None:
        log.append_keys(checkout_id="co-1", step="reserve")
        log.info("step")

    worker = threading.Thread(target=saga_step)
    worker.start()
    worker.join(timeout=10)
    log.info("request")

    # Then the API's line carries none of the step's keys
    lines = {line["message"]: line for line in map(json.loads, stream.getvalue().splitlines())}
    assert lines["step"]["checkout_id"] == "co-1"
    assert "checkout_id" not in lines["request"]
    assert lines["request"]["service"] == "isolation-test"


def test_each_thread_flushes_its_own_metrics_once_isolated(capsys: Any) -> None:
    import json
    import threading

    from aws_lambda_powertools import Metrics

    from localcloud.logs import isolate_metrics_per_thread

    # Given Powertools metrics isolated per thread (what the local cloud does to Bazaar's)
    metrics = Metrics(namespace="IsolationTest", service="isolation-test")
    isolate_metrics_per_thread(metrics)
    isolate_metrics_per_thread(metrics)  # idempotent
    metrics.add_metric(name="ApiCalls", unit="Count", value=1)

    # When another thread (a consumer) adds and flushes its own metric meanwhile
    def consumer() -> None:
        metrics.add_metric(name="Consumed", unit="Count", value=2)
        metrics.flush_metrics()

    worker = threading.Thread(target=consumer)
    worker.start()
    worker.join(timeout=10)
    metrics.flush_metrics()  # the API's flush: its set was neither emptied nor mixed

    # Then each flush printed only its own thread's metric
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    names = [[m["Name"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]] for line in lines]
    assert names == [["Consumed"], ["ApiCalls"]]
    assert lines[1]["service"] == "isolation-test"
