"""Schemathesis hooks for ``test_api_fuzz`` (loaded through ``SCHEMATHESIS_HOOKS``).

Path values the local cloud still routes differently from API Gateway are not generated:
it decodes percent-escapes before routing, so ``%23``, ``%3F``, ``%2F``, ``%25`` and
control characters such as ``%0A`` in a path segment reach another route (a 404 or 405
no operation documents). That is issue 10 finding #10 (local cloud path decoding), owned
and tested there; every other generated value still goes through.
"""

from __future__ import annotations

from typing import Any

import schemathesis

# Characters whose percent-escape the local cloud decodes before routing (finding #10).
MISROUTED = frozenset("#?/%") | {chr(code) for code in range(32)} | {"\x7f"}


def _routable(value: Any) -> bool:
    return not (isinstance(value, str) and MISROUTED & set(value))


@schemathesis.hook
def filter_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> bool:
    return all(_routable(value) for value in (path_parameters or {}).values())
