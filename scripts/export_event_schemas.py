"""Write ``events/schemas/<event>.json``: the JSON Schema of each event's EventBridge detail.

Run after changing an event model: ``.venv/bin/python -m scripts.export_event_schemas``.
A test fails while the files and the models disagree.
"""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.core.events import EVENT_TYPES, detail_schema
from chalicelib.event_types import load_all

SCHEMAS = Path(__file__).resolve().parent.parent / "events" / "schemas"


def render_all() -> dict[str, str]:
    """File name → content for every registered event type."""
    load_all()
    return {
        f"{name}.json": json.dumps(
            {
                "detail-type": name,
                "source": event_type.source,
                "detail": detail_schema(event_type),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
        for name, event_type in sorted(EVENT_TYPES.items())
    }


if __name__ == "__main__":
    SCHEMAS.mkdir(parents=True, exist_ok=True)
    for file_name, content in render_all().items():
        (SCHEMAS / file_name).write_text(content)
        print(SCHEMAS / file_name)
