"""The checks a bill goes through, and the decision they make (pure; no I/O)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from difflib import SequenceMatcher

from chalicelib.bills.domain import Check, Extraction, PostStatus, Verdict


def _squash(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def vendor_similarity(company: str | None, shop_name: str) -> float:
    if not company:
        return 0.0
    a, b = _squash(company), _squash(shop_name)
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


def total_matches_items(extraction: Extraction) -> Check | None:
    """Whether the line items stay within the total (5 % over at most: a sum above it is a
    sign the total was lowered); none with fewer than two items or no total."""
    if not extraction.total or len(extraction.line_items) < 2:
        return None
    items = sum(item.amount for item in extraction.line_items)
    gap = abs(items - extraction.total) / extraction.total
    return Check(
        "total_matches_items",
        items <= extraction.total * 1.05,
        round(max(0.0, 1.0 - gap), 4),
        f"line items add up to {items}, total {extraction.total}",
    )


def run_checks(
    extraction: Extraction,
    *,
    edit_probability: float,
    edit_threshold: float,
    reject_above: float,
    resave_blind_probability: float | None = None,
    duplicate_of: str | None,
    shop_name: str | None,
    today: date,
    max_age_days: int,
    min_confidence: float,
) -> Verdict:
    """Every check with its score, and the status they decide:
    REJECTED when the edit probability is at or above ``reject_above`` (and, when given, the
    re-save-blind model's too: a second compression alone sends a bill to review, never to
    rejection); VERIFIED when every check passed; NEEDS_REVIEW otherwise (a duplicate of
    another post's bill included: the shop or an admin decides)."""
    checks: list[Check] = []
    found = sum(v is not None for v in (extraction.company, extraction.date, extraction.total))
    checks.append(
        Check(
            "fields_read",
            extraction.date is not None and extraction.total is not None,
            round(found / 3, 4),
            f"company, date, total: {found} of 3 read",
        )
    )
    if extraction.date is None:
        checks.append(Check("date_plausible", False, 0.0, "no date read"))
    else:
        bill_date = date.fromisoformat(extraction.date)
        oldest = today - timedelta(days=max_age_days)
        plausible = oldest <= bill_date <= today
        checks.append(
            Check(
                "date_plausible",
                plausible,
                1.0 if plausible else 0.0,
                f"{extraction.date} (accepted {oldest.isoformat()} to {today.isoformat()})",
            )
        )
    items_check = total_matches_items(extraction)
    if items_check is not None:
        checks.append(items_check)
    confidences = list(extraction.confidence.values())
    mean_confidence = sum(confidences) / len(confidences) if confidences else 0.0
    checks.append(
        Check(
            "ocr_confidence",
            mean_confidence >= min_confidence,
            round(mean_confidence, 4),
            f"mean field confidence (min {min_confidence})",
        )
    )
    if shop_name is not None:
        similarity = vendor_similarity(extraction.company, shop_name)
        checks.append(
            Check(
                "vendor_matches_shop",
                similarity >= 0.6,
                round(similarity, 4),
                f"{extraction.company!r} vs shop {shop_name!r}",
            )
        )
    checks.append(
        Check(
            "not_duplicate",
            duplicate_of is None,
            0.0 if duplicate_of else 1.0,
            f"same image as post {duplicate_of}" if duplicate_of else "no earlier bill like it",
        )
    )
    blind = (
        f"; re-save-blind model {resave_blind_probability:.3f}"
        if resave_blind_probability is not None
        else ""
    )
    checks.append(
        Check(
            "no_signs_of_editing",
            edit_probability < edit_threshold,
            round(edit_probability, 4),
            f"edit probability (threshold {edit_threshold:.3f}, reject at {reject_above:.3f}"
            f"{blind})",
        )
    )
    failed = [check.name for check in checks if not check.passed]
    sure = edit_probability >= reject_above and (
        resave_blind_probability is None or resave_blind_probability >= reject_above
    )
    if sure:
        status = PostStatus.REJECTED
    elif failed:
        status = PostStatus.NEEDS_REVIEW
    else:
        status = PostStatus.VERIFIED
    reason = ", ".join(failed) if failed else "every check passed"
    return Verdict(status=status, checks=tuple(checks), reason=reason)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
