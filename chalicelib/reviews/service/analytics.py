"""Review analytics for a seller (their shop, or one of its products) and admins (the
platform, a shop or a product): rating and sentiment distribution per month, recurring
problem categories and improvement suggestions drawn from the negative reviews, as JSON or
CSV. Computed from the stored reviews (their sentiment and problems were found when they
were scored), reading at most ``MAX_REVIEWS`` of the newest.

Suggestions are the fixed advice of each category (offline, the default). With
``BAZAAR_REVIEW_SUGGESTIONS_PROVIDER=bedrock`` one Amazon Bedrock call per report drafts
a suggestion per category from its complaints (``chalicelib.core.bedrock``, as product
descriptions are drafted); a category the model did not answer, or every one when
Bedrock fails, keeps the offline advice. Each says which it is (``suggestion_source``).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime

from chalicelib.catalog import service as catalog
from chalicelib.core import bedrock
from chalicelib.core.caller import Caller, Role
from chalicelib.core.errors import ForbiddenError, NotFoundError
from chalicelib.core.pagination import Page
from chalicelib.core.settings import get_settings
from chalicelib.reviews import repository
from chalicelib.reviews.domain import (
    CATEGORY_ADVICE,
    Category,
    Period,
    Report,
    Review,
    Scope,
    SentimentLabel,
    SubjectKind,
)

MAX_REVIEWS = 2000
PAGE = 100
EXAMPLES = 3
SUGGESTION_WORDS = 40


def scope_for(caller: Caller, *, shop_id: str | None, product_id: str | None) -> Scope:
    """The scope a caller may read: a seller only their own shop and its products (403
    otherwise); an admin anything."""
    if product_id is not None:
        product = catalog.get_product(product_id)
        if product is None:
            raise NotFoundError("No such product", details={"product_id": product_id})
        if shop_id is not None and shop_id != product.shop_id:
            raise NotFoundError("No such product in that shop", details={"product_id": product_id})
        shop_id = product.shop_id
    if caller.role is Role.ADMIN:
        return Scope(shop_id=shop_id, product_id=product_id)
    if not caller.shop_id:
        raise ForbiddenError("Create your shop first")
    if shop_id is not None and shop_id != caller.shop_id:
        raise ForbiddenError(
            "A seller reads only their own shop's analytics", details={"reason": "NOT_YOUR_SHOP"}
        )
    return Scope(shop_id=caller.shop_id, product_id=product_id)


def _reviews(scope: Scope, since: datetime | None) -> tuple[list[Review], bool]:
    repo = repository.get()
    found: list[Review] = []
    cursor: str | None = None
    for _ in range(MAX_REVIEWS // PAGE):
        page: Page[Review]
        if scope.product_id:
            page = repo.subject_reviews(
                SubjectKind.PRODUCT,
                scope.product_id,
                visible_only=False,
                limit=PAGE,
                cursor=cursor,
            )
        elif scope.shop_id:
            page = repo.shop_reviews(scope.shop_id, since=since, limit=PAGE, cursor=cursor)
        else:
            page = repo.all_reviews(since=since, limit=PAGE, cursor=cursor)
        found.extend(r for r in page.items if since is None or r.created_at >= since)
        cursor = page.next_cursor
        if cursor is None:
            return found, False
    return found, True


def _negative(review: Review) -> bool:
    if review.sentiment is not None and not review.sentiment_pending:
        return review.sentiment.label is SentimentLabel.NEGATIVE or review.rating <= 2
    return review.rating <= 2


def report(caller: Caller, scope: Scope, *, since: datetime | None = None) -> Report:
    """The analytics of ``scope`` (published reviews only)."""
    del caller  # the scope was checked by scope_for
    reviews, truncated = _reviews(scope, since)
    reviews = [r for r in reviews if r.visible]
    periods: dict[str, Period] = {}
    for review in reviews:
        month = review.created_at.strftime("%Y-%m")
        period = periods.setdefault(month, Period(month))
        period.reviews += 1
        period.rating_total += review.rating
        period.ratings[review.rating] += 1
        key = (
            "pending"
            if review.sentiment_pending or review.sentiment is None
            else str(review.sentiment.label)
        )
        period.sentiment[key] += 1
    negative = [r for r in reviews if _negative(r)]
    named: Counter[str] = Counter()
    evidence: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for review in negative:
        seen = set()
        for problem in review.problems:
            evidence[problem.category].append((problem.similarity, problem.sentence))
            seen.add(problem.category)
        named.update(seen)
    categories = [
        Category(
            category=name,
            reviews=count,
            share=round(count / len(negative), 3) if negative else 0.0,
            suggestion=CATEGORY_ADVICE[name],
            # The sentences nearest the category's prototype: its most typical complaints.
            examples=tuple(dict.fromkeys(s for _, s in sorted(evidence[name], reverse=True)))[
                :EXAMPLES
            ],
        )
        for name, count in named.most_common()
    ]
    if categories and get_settings().review_suggestions_provider == "bedrock":
        categories = drafted_suggestions(categories)
    return Report(
        scope=scope,
        reviews=len(reviews),
        negative_reviews=len(negative),
        periods=[periods[m] for m in sorted(periods)],
        categories=categories,
        truncated=truncated,
    )


def suggestions_prompt(categories: list[Category]) -> str:
    """What the language model is asked: one suggestion per category, from its complaints."""
    facts = [
        {"category": c.category, "negative_reviews": c.reviews, "complaints": list(c.examples)}
        for c in categories
    ]
    return (
        "You advise an online shop. Its negative reviews name these problem categories, each "
        "with how many reviews name it and typical complaints: "
        f"{json.dumps(facts, ensure_ascii=False)}. For each category write one concrete "
        f"improvement the shop can make, at most {SUGGESTION_WORDS} words, drawn only from "
        "those complaints. Answer with one line per category, exactly "
        '"<category>: <suggestion>", and nothing else.'
    )


def drafted_suggestions(categories: list[Category]) -> list[Category]:
    """``categories`` with the suggestions Bedrock drafted (``suggestion_source``
    "bedrock"); the offline advice stays where it answered nothing usable."""
    answer = bedrock.converse(suggestions_prompt(categories), max_tokens=120 * len(categories))
    if not answer:
        return categories
    drafted: dict[str, str] = {}
    for line in answer.splitlines():
        name, sep, text = line.strip().lstrip("-* ").partition(":")
        category = name.strip().strip("*`\"'").lower()
        words = text.split()  # a runaway answer is cut at twice the words asked for
        if sep and words and category in CATEGORY_ADVICE:
            drafted[category] = " ".join(words[: SUGGESTION_WORDS * 2])
    return [
        replace(c, suggestion=drafted[c.category], suggestion_source="bedrock")
        if c.category in drafted
        else c
        for c in categories
    ]


def to_csv(result: Report) -> str:
    """The report as CSV: one row per month, then one per problem category."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "section",
            "month",
            "reviews",
            "average_rating",
            "r1",
            "r2",
            "r3",
            "r4",
            "r5",
            "negative",
            "neutral",
            "positive",
            "pending",
        ]
    )
    for p in result.periods:
        writer.writerow(
            [
                "month",
                p.month,
                p.reviews,
                p.average,
                *(p.ratings[s] for s in range(1, 6)),
                p.sentiment["negative"],
                p.sentiment["neutral"],
                p.sentiment["positive"],
                p.sentiment["pending"],
            ]
        )
    writer.writerow([])
    writer.writerow(
        [
            "section",
            "category",
            "negative_reviews",
            "share",
            "suggestion",
            "suggestion_source",
            "example",
        ]
    )
    for c in result.categories:
        writer.writerow(
            [
                "category",
                c.category,
                c.reviews,
                c.share,
                c.suggestion,
                c.suggestion_source,
                c.examples[0] if c.examples else "",
            ]
        )
    return out.getvalue()
