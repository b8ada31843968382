"""The development / held-out split of the dev receipts, by a hash of the stem.

Heuristics and model choices are tuned on the development part only; the held-out part is
only reported. About a third of the receipts are held out.
"""

from __future__ import annotations

import hashlib


def is_held_out(stem: str) -> bool:
    return hashlib.sha256(f"bills-split:{stem}".encode()).digest()[0] % 3 == 0


def part(stem: str) -> str:
    return "held-out" if is_held_out(stem) else "development"
