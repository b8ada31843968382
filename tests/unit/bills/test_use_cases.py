"""Bill posts' use cases on the in-memory repositories: decisions, access, feed, likes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.bills.domain import Extraction, LineItem, Post, PostStatus
from chalicelib.bills.errors import PostNotDecidableError
from chalicelib.bills.events import PostStatusChanged
from chalicelib.bills.service import checks, posts
from chalicelib.catalog.domain import Shop
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ForbiddenError, NotFoundError
from tests.fakes.bills import InMemoryBillRepository

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SHOPPER = Caller(account_id="shopper-1", role=Role.USER)
OTHER_SHOPPER = Caller(account_id="shopper-2", role=Role.USER)
SELLER = Caller(account_id="seller-1", role=Role.SELLER, shop_id="shop-1")
OTHER_SELLER = Caller(account_id="seller-2", role=Role.SELLER, shop_id="shop-2")
ADMIN = Caller(account_id="admin-1", role=Role.ADMIN)


def shop(shop_id: str, owner: str, name: str) -> Shop:
    return Shop(
        shop_id=shop_id,
        owner_id=owner,
        name=name,
        slug=shop_id,
        category="home",
        settings={},
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def shops(catalog_repo) -> None:  # type: ignore[no-untyped-def]
    catalog_repo.add_shop(shop("shop-1", "seller-1", "Indah Gift & Home Deco"))
    catalog_repo.add_shop(shop("shop-2", "seller-2", "Another Shop"))


def stored_post(
    repo: InMemoryBillRepository, status: PostStatus, *, post_id: str = "p1", at: datetime = NOW
) -> Post:
    post = Post(
        post_id=post_id,
        author_id=SHOPPER.account_id,
        status=status,
        bill_key=f"bills/{post_id}/bill",
        content_type="image/jpeg",
        created_at=at.isoformat(),
        updated_at=at.isoformat(),
        shop_id="shop-1",
        verified_at=at.isoformat() if status is PostStatus.VERIFIED else None,
    )
    repo.create(post)
    return repo.posts[post_id]


def test_the_shop_decides_a_post_needing_review_and_it_is_audited(bills_repo, shops, bus) -> None:
    # Given a post about shop-1 waiting for review
    stored_post(bills_repo, PostStatus.NEEDS_REVIEW)
    # When shop-1's seller verifies it
    decided = posts.decide(SELLER, "p1", PostStatus.VERIFIED, "we remember this sale")
    # Then it is verified, by them, with an audit entry and an event for the shopper
    assert decided.status is PostStatus.VERIFIED
    assert decided.decided_by == "seller-1"
    (entry,) = bills_repo.audit_trail("p1")
    assert entry["by"] == "seller-1"
    assert entry["to"] == "VERIFIED"
    (event,) = [e for e in bus.events if isinstance(e, PostStatusChanged)]
    assert event.shopper_id == SHOPPER.account_id
    assert event.status == "VERIFIED"


def test_another_shop_cannot_decide(bills_repo, shops, bus) -> None:
    stored_post(bills_repo, PostStatus.NEEDS_REVIEW)
    with pytest.raises(ForbiddenError):
        posts.decide(OTHER_SELLER, "p1", PostStatus.VERIFIED, None)
    assert bills_repo.posts["p1"].status is PostStatus.NEEDS_REVIEW
    assert bills_repo.audit_trail("p1") == []


def test_an_admin_decides_any_post_but_only_while_it_needs_review(bills_repo, shops, bus) -> None:
    stored_post(bills_repo, PostStatus.NEEDS_REVIEW)
    assert posts.decide(ADMIN, "p1", PostStatus.REJECTED, "fake").status is PostStatus.REJECTED
    with pytest.raises(PostNotDecidableError):
        posts.decide(ADMIN, "p1", PostStatus.VERIFIED, None)


def test_only_the_author_the_shop_and_admins_read_the_bill(bills_repo, shops, monkeypatch) -> None:
    from chalicelib.bills import storage

    monkeypatch.setattr(storage, "read_url", lambda key: f"https://signed/{key}")
    stored_post(bills_repo, PostStatus.VERIFIED)
    for allowed in (SHOPPER, SELLER, ADMIN):
        assert posts.bill_url(allowed, "p1") == "https://signed/bills/p1/bill"
    for refused in (OTHER_SHOPPER, OTHER_SELLER):
        with pytest.raises(ForbiddenError):
            posts.bill_url(refused, "p1")


def test_a_post_under_review_is_hidden_from_other_shoppers(bills_repo, shops) -> None:
    stored_post(bills_repo, PostStatus.NEEDS_REVIEW)
    assert posts.get_post(SHOPPER, "p1").post_id == "p1"
    with pytest.raises(NotFoundError):
        posts.get_post(OTHER_SHOPPER, "p1")


def test_a_like_counts_once_per_account(bills_repo, shops) -> None:
    stored_post(bills_repo, PostStatus.VERIFIED)
    posts.like(OTHER_SHOPPER, "p1")
    assert posts.like(OTHER_SHOPPER, "p1").likes == 1
    assert posts.like(SELLER, "p1").likes == 2


def test_trending_weighs_engagement_against_age(bills_repo, shops, monkeypatch) -> None:
    from chalicelib.core import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)
    stored_post(bills_repo, PostStatus.VERIFIED, post_id="old", at=NOW - timedelta(hours=30))
    stored_post(bills_repo, PostStatus.VERIFIED, post_id="new", at=NOW - timedelta(hours=1))
    for n in range(10):
        bills_repo.like("old", f"fan-{n}")
    recent = posts.feed_recent(None, limit=10, cursor=None).items
    assert [p.post_id for p in recent] == ["new", "old"]
    trending = posts.feed_trending(None, limit=10)
    assert [p.post_id for p in trending] == ["new", "old"]  # 11/32^1.5 < 1/3^1.5
    for n in range(10, 400):
        bills_repo.like("old", f"fan-{n}")
    assert [p.post_id for p in posts.feed_trending(None, limit=10)] == ["old", "new"]


def test_the_shop_replies_publicly_and_another_shop_cannot(bills_repo, shops) -> None:
    stored_post(bills_repo, PostStatus.VERIFIED)
    assert posts.reply(SELLER, "p1", "Thank you!").reply == "Thank you!"
    with pytest.raises(ForbiddenError):
        posts.reply(OTHER_SELLER, "p1", "Not ours")


def extraction(**changes: object) -> Extraction:
    base = Extraction(
        company="INDAH GIFT & HOME DECO",
        date="2018-10-19",
        total=6030,
        currency="MYR",
        line_items=(LineItem("LAMP", 5590), LineItem("TOY", 440)),
        confidence={"company": 0.9, "date": 0.95, "total": 0.9},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def verdict(found: Extraction, **overrides: object):  # type: ignore[no-untyped-def]
    arguments: dict[str, object] = {
        "edit_probability": 0.1,
        "edit_threshold": 0.5,
        "reject_above": 0.9,
        "duplicate_of": None,
        "shop_name": None,
        "today": date(2026, 11, 28),
        "max_age_days": 3650,
        "min_confidence": 0.5,
    }
    arguments.update(overrides)
    return checks.run_checks(found, **arguments)  # type: ignore[arg-type]


def test_a_clean_bill_is_verified_with_every_check_recorded() -> None:
    result = verdict(extraction(), shop_name="Indah Gift & Home Deco")
    assert result.status is PostStatus.VERIFIED
    assert {c.name for c in result.checks} >= {
        "fields_read",
        "date_plausible",
        "total_matches_items",
        "ocr_confidence",
        "vendor_matches_shop",
        "not_duplicate",
        "no_signs_of_editing",
    }


@pytest.mark.parametrize(
    ("found", "overrides", "status", "failed"),
    [
        (extraction(), {"edit_probability": 0.95}, PostStatus.REJECTED, "no_signs_of_editing"),
        (
            extraction(),
            {"edit_probability": 0.95, "resave_blind_probability": 0.92},
            PostStatus.REJECTED,
            "no_signs_of_editing",
        ),
        # a second compression alone (the re-save-blind model unsure) goes to review
        (
            extraction(),
            {"edit_probability": 0.95, "resave_blind_probability": 0.4},
            PostStatus.NEEDS_REVIEW,
            "no_signs_of_editing",
        ),
        (extraction(), {"edit_probability": 0.6}, PostStatus.NEEDS_REVIEW, "no_signs_of_editing"),
        (extraction(), {"duplicate_of": "p0"}, PostStatus.NEEDS_REVIEW, "not_duplicate"),
        (extraction(date="2027-01-01"), {}, PostStatus.NEEDS_REVIEW, "date_plausible"),
        (extraction(total=1000), {}, PostStatus.NEEDS_REVIEW, "total_matches_items"),
        (
            extraction(),
            {"shop_name": "Another Shop"},
            PostStatus.NEEDS_REVIEW,
            "vendor_matches_shop",
        ),
        (extraction(date=None), {}, PostStatus.NEEDS_REVIEW, "fields_read"),
    ],
)
def test_a_failed_check_decides_with_its_reason(found, overrides, status, failed) -> None:  # type: ignore[no-untyped-def]
    result = verdict(found, **overrides)
    assert result.status is status
    assert failed in result.reason
