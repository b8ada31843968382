"""Bill posts on the running local cloud: a real HTTP client posts a genuine receipt,
uploads it with the pre-signed POST, and the S3 → SQS → bill-verify path decides it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fixtures.cloud import RunningCloud, wait_for
from tests.system.test_catalog_system import SHOPPER, login

pytestmark = pytest.mark.system
ROOT = Path(__file__).resolve().parents[2]


def receipt(stem: str) -> bytes:
    for base in (ROOT.parent / "shared" / "data" / "receipts", Path("/work/shared/data/receipts")):
        path = base / "images" / f"{stem}.jpg"
        if path.exists():
            return path.read_bytes()
    pytest.skip("the dev receipts (shared/data/receipts) are not on this machine")


@pytest.mark.timeout(400)
def test_a_genuine_receipt_posted_over_http_ends_verified(cloud: RunningCloud) -> None:
    shopper = login(cloud, *SHOPPER)
    data = receipt("001")
    # Given a post and its pre-signed upload
    created = httpx.post(
        f"{cloud.rest}/bills/posts",
        json={"content_type": "image/jpeg", "text": "Lovely lamp", "rating": 5},
        headers=shopper,
    )
    assert created.status_code == 201, created.text
    post_id = created.json()["post"]["post_id"]
    grant = created.json()["upload"]
    # When the bill goes straight to S3 with it
    uploaded = httpx.post(
        grant["url"], data=grant["fields"], files={"file": ("bill.jpg", data, "image/jpeg")}
    )
    assert uploaded.status_code in (200, 201, 204), uploaded.text

    # Then the pipeline decides it (OCR takes seconds on a busy machine: bounded poll)
    def decided() -> dict[str, object] | None:
        view = httpx.get(f"{cloud.rest}/bills/posts/{post_id}", headers=shopper, timeout=15).json()
        return None if view["status"] in ("UPLOADING", "PROCESSING") else view

    view = wait_for(decided, timeout=240, what="the bill's verification")
    assert view["status"] == "VERIFIED", view
    assert view["extraction"]["total"] == 6030
    assert view["extraction"]["date"] == "2018-10-19"
    # And it is in the public feed, with a public image (the derivative)
    feed = httpx.get(f"{cloud.rest}/bills/feed").json()
    assert post_id in [item["post_id"] for item in feed["items"]]
