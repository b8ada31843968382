"""The unique-visitor sketch: mergeable, idempotent, and usable without numpy (the
deployment bundle leaves numpy to the ML layer: scripts/package.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chalicelib.analytics import sketch

ROOT = Path(__file__).resolve().parents[3]


def test_adding_a_visitor_twice_changes_nothing_and_days_merge_into_a_range() -> None:
    monday = sketch.add(None, [f"v-{n}" for n in range(1000)])
    assert sketch.add(monday, ["v-1", "v-2"]) == monday
    tuesday = sketch.add(None, [f"v-{n}" for n in range(500, 1800)])
    week = sketch.estimate([monday, tuesday, None])
    assert week.lower <= week.estimate <= week.upper
    assert abs(week.estimate - 1800) <= week.relative_error * 1800
    assert sketch.estimate([]).estimate == 0


def test_the_sketch_works_where_numpy_is_not_installed() -> None:
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "from chalicelib.analytics import sketch\n"
        "print(sketch.estimate([sketch.add(None, ['a', 'b', 'c'])]).estimate)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
