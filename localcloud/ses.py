"""What SES (moto, in this process) accepted: the data behind the local mailbox.

moto tracks every model instance it creates; its ``GET /moto-api/data.json`` serialises
all of them for every service. This reads only SES's sent messages, serialised the same
way (each instance's public, JSON-serialisable attributes).
"""

from __future__ import annotations

import json
from typing import Any

KINDS = ("RawMessage", "Message")


def _as_dict(instance: object) -> dict[str, Any]:
    """moto's ``model_data`` view of one instance: public attributes that JSON can hold."""
    result: dict[str, Any] = {}
    for attr in dir(instance):
        if attr.startswith("_"):
            continue
        try:
            value = getattr(instance, attr)
            json.dumps(value)
        except (TypeError, AttributeError, ValueError):
            continue
        result[attr] = value
    return result


def sent_messages() -> dict[str, list[dict[str, Any]]]:
    """``{"RawMessage": [...], "Message": [...]}``, each list in sending order."""
    from moto.core.model_instances import model_data

    models = model_data.get("ses", {})  # a defaultdict: .get does not add "ses"
    return {
        kind: [
            _as_dict(instance)
            for instance in list(getattr(models.get(kind), "instances_tracked", []))
        ]
        for kind in KINDS
    }
