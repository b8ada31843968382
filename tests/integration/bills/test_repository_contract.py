"""The same assertions on the in-memory bills repository and on DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.bills.domain import Post, PostStatus
from chalicelib.bills.repository import BillRepository, DynamoBillRepository
from tests.fakes.bills import InMemoryBillRepository


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[BillRepository]:
    if request.param == "memory":
        yield InMemoryBillRepository()
    else:
        request.getfixturevalue("aws_env")
        yield DynamoBillRepository()


def post(post_id: str, **changes: Any) -> Post:
    base = Post(
        post_id=post_id,
        author_id="a1",
        status=PostStatus.UPLOADING,
        bill_key=f"bills/{post_id}/bill",
        content_type="image/jpeg",
        created_at="2026-11-28T10:00:00+00:00",
        updated_at="2026-11-28T10:00:00+00:00",
        shop_id="s1",
    )
    return replace(base, **changes)


def test_a_transition_needs_the_expected_status_and_version(repo: BillRepository) -> None:
    repo.create(post("p1"))
    stored = repo.post("p1")
    assert stored is not None
    moved = repo.transition(
        replace(stored, status=PostStatus.PROCESSING), expected=(PostStatus.UPLOADING,)
    )
    assert moved is not None
    assert moved.status is PostStatus.PROCESSING
    assert moved.version == stored.version + 1
    # a stale copy (old version) or a wrong expected status is refused
    assert (
        repo.transition(
            replace(stored, status=PostStatus.FAILED), expected=(PostStatus.PROCESSING,)
        )
        is None
    )
    assert (
        repo.transition(replace(moved, status=PostStatus.FAILED), expected=(PostStatus.UPLOADING,))
        is None
    )


def test_posts_are_listed_by_status_and_shop_newest_first(repo: BillRepository) -> None:
    repo.create(post("p1", updated_at="2026-11-28T10:00:00+00:00"))
    repo.create(post("p2", updated_at="2026-11-28T11:00:00+00:00"))
    repo.create(post("p3", shop_id="s2"))
    page = repo.by_status(PostStatus.UPLOADING, limit=2, cursor=None)
    assert [p.post_id for p in page.items][:1] == ["p2"]
    assert page.next_cursor is not None
    rest = repo.by_status(PostStatus.UPLOADING, limit=2, cursor=page.next_cursor)
    assert len(page.items) + len(rest.items) == 3
    assert [
        p.post_id for p in repo.by_shop("s1", PostStatus.UPLOADING, limit=10, cursor=None).items
    ] == ["p2", "p1"]


def test_a_like_counts_once_and_near_hashes_are_found_by_band(repo: BillRepository) -> None:
    repo.create(post("p1"))
    assert repo.like("p1", "u1") is True
    assert repo.like("p1", "u1") is False
    stored = repo.post("p1")
    assert stored is not None
    assert stored.likes == 1
    repo.remember_hash("p1", 0x0123456789ABCDEF)
    assert repo.similar_hashes(0x0123456789ABCDEE) == [("p1", 0x0123456789ABCDEF)]
    assert repo.similar_hashes(0xFEDCBA9876543210) == []
    repo.audit("p1", {"action": "decide"})
    assert [e["action"] for e in repo.audit_trail("p1")] == ["decide"]
