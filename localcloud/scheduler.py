"""Fires scheduled rules (``rate(...)`` and ``cron(...)``) on time, and on demand.

moto stores schedule rules but never fires them, so the local runtime does, sending the
``Scheduled Event`` payload EventBridge sends.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from localcloud.deploy import Schedule
from localcloud.lambdas import InvokeResult, LambdaRuntime

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")


def next_fire(expression: str, after: datetime) -> datetime:
    """The next time a schedule expression fires after ``after`` (UTC)."""
    rate = _RATE.match(expression)
    if rate:
        amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        return after + timedelta(**{f"{unit}s": amount})
    cron = _CRON.match(expression)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise ValueError(f"AWS cron needs 6 fields: {expression}")
        minute, hour, day, month, weekday, _year = fields
        # AWS uses '?' for "any" in day-of-month/day-of-week and 1-7 = SUN-SAT.
        day = "*" if day == "?" else day
        weekday = "*" if weekday == "?" else weekday
        if weekday not in ("*",) and weekday.isdigit():
            weekday = str(int(weekday) - 1)
        result: datetime = croniter(f"{minute} {hour} {day} {month} {weekday}", after).get_next(
            datetime
        )
        return result
    raise ValueError(f"Unsupported schedule expression: {expression}")


def scheduled_event(schedule: Schedule, region: str, when: datetime) -> dict[str, Any]:
    """The event EventBridge sends a scheduled rule's Lambda target."""
    if schedule.input:
        loaded: dict[str, Any] = json.loads(schedule.input)
        return loaded
    # A schedule not made by the deployer has no account: its ARN says so (empty field).
    rule_arn = schedule.rule_arn or f"arn:aws:events:{region}::rule/{schedule.name}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule_arn.split(":")[4],
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


class Scheduler:
    """Runs every enabled schedule on its own timeline, on one thread."""

    def __init__(
        self,
        schedules: list[Schedule],
        runtime: LambdaRuntime,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.schedules = schedules
        self.runtime = runtime
        self._stop = threading.Event()
        self._now = now
        # ``wait(seconds)`` returns True when the scheduler should stop.
        self._wait = wait or self._stop.wait
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self.fired: dict[str, int] = {}

    def find(self, name: str) -> Schedule:
        for schedule in self.schedules:
            if name in (schedule.name, schedule.function):
                return schedule
        raise KeyError(name)

    def run_now(self, name: str) -> InvokeResult:
        """Fire a schedule immediately (the "run now" hook); waits for the handler."""
        schedule = self.find(name)
        return self._fire(schedule, self._now())

    def _fire(self, schedule: Schedule, when: datetime) -> InvokeResult:
        self.fired[schedule.name] = self.fired.get(schedule.name, 0) + 1
        return self.runtime.invoke(
            schedule.function, scheduled_event(schedule, self.runtime.region, when)
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        self.run_until_stopped()

    def run_until_stopped(self, max_fires: int | None = None) -> None:
        """Fire schedules as they fall due; ``max_fires`` bounds the loop (tests)."""
        start = self._now()
        due = {s.name: next_fire(s.expression, start) for s in self.schedules if s.enabled}
        fires = 0
        while due and not self._stop.is_set() and (max_fires is None or fires < max_fires):
            name, when = min(due.items(), key=lambda item: item[1])
            delay = (when - self._now()).total_seconds()
            if delay > 0 and self._wait(min(delay, 60)):
                return
            if self._now() >= when:
                self._fire(self.find(name), when)
                fires += 1
                due[name] = next_fire(self.find(name).expression, when)
