"""The bills repository in memory: the same contract as the DynamoDB one, no AWS.

``tests/integration/bills/test_repository_contract.py`` runs the same assertions on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.bills import repository
from chalicelib.bills.domain import Post, PostStatus
from chalicelib.bills.repository import bands
from chalicelib.core.pagination import Page


class InMemoryBillRepository:
    """Every method of ``chalicelib.bills.repository.BillRepository``, in dicts."""

    def __init__(self) -> None:
        self.posts: dict[str, Post] = {}
        self.hashes: dict[str, int] = {}
        self.likes: set[tuple[str, str]] = set()
        self.audits: dict[str, list[dict[str, Any]]] = {}

    def create(self, post: Post) -> None:
        assert post.post_id not in self.posts
        self.posts[post.post_id] = replace(post, version=1)

    def post(self, post_id: str) -> Post | None:
        return self.posts.get(post_id)

    def transition(self, post: Post, *, expected: tuple[PostStatus, ...]) -> Post | None:
        stored = self.posts.get(post.post_id)
        if stored is None or stored.status not in expected or stored.version != post.version:
            return None
        self.posts[post.post_id] = replace(post, likes=stored.likes, version=stored.version + 1)
        return self.posts[post.post_id]

    def _sorted(self, posts: list[Post]) -> list[Post]:
        def key(p: Post) -> str:
            moment = (
                p.verified_at if p.status is PostStatus.VERIFIED and p.verified_at else p.updated_at
            )
            return f"{moment}#{p.post_id}"

        return sorted(posts, key=key, reverse=True)

    def _page(self, posts: list[Post], limit: int, cursor: str | None) -> Page[Post]:
        start = int(cursor or 0)
        items = posts[start : start + limit]
        more = start + limit < len(posts)
        return Page(items=items, next_cursor=str(start + limit) if more else None)

    def by_status(self, status: PostStatus, *, limit: int, cursor: str | None) -> Page[Post]:
        found = self._sorted([p for p in self.posts.values() if p.status is status])
        return self._page(found, limit, cursor)

    def by_shop(
        self, shop_id: str, status: PostStatus, *, limit: int, cursor: str | None
    ) -> Page[Post]:
        found = self._sorted(
            [p for p in self.posts.values() if p.status is status and p.shop_id == shop_id]
        )
        return self._page(found, limit, cursor)

    def remember_hash(self, post_id: str, phash: int) -> None:
        self.hashes[post_id] = phash

    def similar_hashes(self, phash: int) -> list[tuple[str, int]]:
        wanted = bands(phash)
        return sorted(
            (post_id, value)
            for post_id, value in self.hashes.items()
            if any(a == b for a, b in zip(bands(value), wanted, strict=True))
        )

    def like(self, post_id: str, account_id: str) -> bool:
        if (post_id, account_id) in self.likes:
            return False
        self.likes.add((post_id, account_id))
        post = self.posts[post_id]
        self.posts[post_id] = replace(post, likes=post.likes + 1, version=post.version + 1)
        return True

    def audit(self, post_id: str, entry: dict[str, Any]) -> None:
        self.audits.setdefault(post_id, []).append(dict(entry))

    def audit_trail(self, post_id: str) -> list[dict[str, Any]]:
        return list(self.audits.get(post_id, []))


@pytest.fixture
def bills_repo() -> Iterator[InMemoryBillRepository]:
    """The bills services run on a fresh in-memory repository."""
    fake = InMemoryBillRepository()
    repository.use(fake)
    yield fake
    repository.use(None)
