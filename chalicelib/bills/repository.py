"""The bills table: every read and write of bill posts, likes, audit entries and the
perceptual-hash index.

``BillRepository`` is the port in domain terms; ``DynamoBillRepository`` the DynamoDB
implementation. Services call ``repository.get()``; unit tests swap in the in-memory fake
(``tests/fakes/bills.py``) with ``repository.use(fake)``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any, Protocol

from pynamodb.exceptions import PutError

from chalicelib.bills import models as m
from chalicelib.bills.domain import Check, Extraction, LineItem, Post, PostStatus
from chalicelib.core import clock
from chalicelib.core.dynamo import TransactionCancelledError, condition_failed, new_id, transaction
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor

BANDS = 4


class BillRepository(Protocol):
    """Bill posts and what hangs off them."""

    def create(self, post: Post) -> None: ...

    def post(self, post_id: str) -> Post | None:
        """The post (strongly consistent), or None."""
        ...

    def transition(self, post: Post, *, expected: tuple[PostStatus, ...]) -> Post | None:
        """Store ``post`` if the stored one is still at its version and in one of the
        ``expected`` statuses; the stored post (version + 1), or None if it moved."""
        ...

    def by_status(self, status: PostStatus, *, limit: int, cursor: str | None) -> Page[Post]:
        """Posts in ``status``, the latest change first."""
        ...

    def by_shop(
        self, shop_id: str, status: PostStatus, *, limit: int, cursor: str | None
    ) -> Page[Post]: ...

    def remember_hash(self, post_id: str, phash: int) -> None: ...

    def similar_hashes(self, phash: int) -> list[tuple[str, int]]:
        """(post, hash) of every stored hash sharing a 16-bit band with ``phash``."""
        ...

    def like(self, post_id: str, account_id: str) -> bool:
        """Count a like once per account; False if this account already liked."""
        ...

    def audit(self, post_id: str, entry: dict[str, Any]) -> None: ...

    def audit_trail(self, post_id: str) -> list[dict[str, Any]]: ...


def bands(phash: int) -> list[int]:
    return [(phash >> (16 * i)) & 0xFFFF for i in range(BANDS)]


def dump(post: Post) -> str:
    data = asdict(post)
    data.pop("likes")
    data.pop("version")
    return json.dumps(data, separators=(",", ":"))


def load(body: str, *, likes: int, version: int) -> Post:
    data = json.loads(body)
    extraction = data.get("extraction")
    if extraction is not None:
        extraction["line_items"] = tuple(LineItem(**item) for item in extraction["line_items"])
        data["extraction"] = Extraction(**extraction)
    data["checks"] = tuple(Check(**check) for check in data.get("checks", []))
    data["status"] = PostStatus(data["status"])
    return Post(**data, likes=likes, version=version)


def _time_of(post: Post) -> str:
    return (
        post.verified_at
        if post.status is PostStatus.VERIFIED and post.verified_at
        else post.updated_at
    )


def _item(post: Post) -> m.PostItem:
    key = f"{_time_of(post)}#{post.post_id}"
    versioned: dict[str, Any] = {"version": post.version} if post.version else {}
    return m.PostItem(
        **versioned,
        pk=m.post_pk(post.post_id),
        sk=m.META_SK,
        status=post.status.value,
        body=dump(post),
        likes=post.likes,
        gsi1pk=m.status_pk(post.status.value),
        gsi1sk=key,
        gsi2pk=m.shop_pk(post.shop_id, post.status.value) if post.shop_id else None,
        gsi2sk=key if post.shop_id else None,
    )


def _post_of(item: m.PostItem) -> Post:
    return load(item.body, likes=int(item.likes or 0), version=int(item.version or 0))


class DynamoBillRepository:
    def create(self, post: Post) -> None:
        _item(replace(post, version=0)).save(condition=m.PostItem.pk.does_not_exist())

    def post(self, post_id: str) -> Post | None:
        try:
            return _post_of(m.PostItem.get(m.post_pk(post_id), m.META_SK, consistent_read=True))
        except m.PostItem.DoesNotExist:
            return None

    def transition(self, post: Post, *, expected: tuple[PostStatus, ...]) -> Post | None:
        item = _item(post)
        condition = m.PostItem.status.is_in(*[status.value for status in expected])
        try:
            item.save(condition=condition)  # the VersionAttribute adds version == stored
        except PutError as error:
            if condition_failed(error):
                return None
            raise
        return self.post(post.post_id)

    def _page(self, results: Any) -> Page[Post]:
        items = [_post_of(item) for item in results]
        return Page(items=items, next_cursor=encode_cursor(results.last_evaluated_key))

    def by_status(self, status: PostStatus, *, limit: int, cursor: str | None) -> Page[Post]:
        return self._page(
            m.PostItem.by_status.query(
                m.status_pk(status.value),
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=decode_cursor(cursor),
            )
        )

    def by_shop(
        self, shop_id: str, status: PostStatus, *, limit: int, cursor: str | None
    ) -> Page[Post]:
        return self._page(
            m.PostItem.by_shop.query(
                m.shop_pk(shop_id, status.value),
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=decode_cursor(cursor),
            )
        )

    def remember_hash(self, post_id: str, phash: int) -> None:
        for index, value in enumerate(bands(phash)):
            m.Marker(pk=m.band_pk(index, value), sk=post_id, phash=f"{phash:016x}").save()

    def similar_hashes(self, phash: int) -> list[tuple[str, int]]:
        found: dict[str, int] = {}
        for index, value in enumerate(bands(phash)):
            for item in m.Marker.query(m.band_pk(index, value), limit=200):
                if item.phash:
                    found[item.sk] = int(item.phash, 16)
        return sorted(found.items())

    def like(self, post_id: str, account_id: str) -> bool:
        try:
            with transaction() as writer:
                writer.save(
                    m.Marker(pk=m.post_pk(post_id), sk=f"{m.LIKE_PREFIX}{account_id}"),
                    condition=m.Marker.pk.does_not_exist(),
                )
                writer.update(
                    m.PostCounters(pk=m.post_pk(post_id), sk=m.META_SK),
                    actions=[m.PostCounters.likes.add(1), m.PostCounters.version.add(1)],
                    condition=m.PostCounters.pk.exists(),
                )
        except TransactionCancelledError as error:
            if error.failed(0):
                return False
            raise
        return True

    def audit(self, post_id: str, entry: dict[str, Any]) -> None:
        now = clock.iso(clock.now())
        m.Marker(
            pk=m.post_pk(post_id),
            sk=f"{m.AUDIT_PREFIX}{now}#{new_id()}",
            data=json.dumps({"at": now, **entry}, separators=(",", ":")),
        ).save()

    def audit_trail(self, post_id: str) -> list[dict[str, Any]]:
        return [
            json.loads(item.data or "{}")
            for item in m.Marker.query(
                m.post_pk(post_id), m.Marker.sk.startswith(m.AUDIT_PREFIX), consistent_read=True
            )
        ]


_repository: BillRepository | None = None


def get() -> BillRepository:
    """The repository in use: the DynamoDB one unless a test swapped in another."""
    global _repository
    if _repository is None:
        _repository = DynamoBillRepository()
    return _repository


def use(repository: BillRepository | None) -> None:
    """Use ``repository`` from now on (None: back to the DynamoDB one)."""
    global _repository
    _repository = repository
