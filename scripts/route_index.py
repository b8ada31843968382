"""Write chalicelib/route_index.json: every API route of every module app.py lists
(``make routes``; app.py registers routes from it and imports a module on first use)."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("BAZAAR_STAGE", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def main() -> int:
    from chalicelib.api_modules import API_MODULES, DEV_MODULES
    from chalicelib.web.lazy import INDEX_PATH, build_index

    index = build_index(API_MODULES + DEV_MODULES)
    INDEX_PATH.write_text(json.dumps(index, indent=1) + "\n")
    routes = sum(len(entries) for entries in index.values())
    print(f"{INDEX_PATH.name}: {routes} routes in {len(index)} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
