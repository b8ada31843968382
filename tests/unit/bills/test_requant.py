"""Aligned double quantisation (``requant``): a bill saved as JPEG, edited and saved
again keeps the first save's lattice of DCT values everywhere but where it was edited."""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from chalicelib.bills import requant
from tests.unit.bills.pages import printed_page


def _saved(pixels: NDArray[np.float64], quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _decoded(data: bytes) -> NDArray[np.float64]:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), np.float64)


def _scanned_page(seed: int) -> NDArray[np.float64]:
    """Lines of printed amounts on paper with a scan's grain, saved once at quality 50 (a
    phone's or scanner's JPEG), as decoded."""
    page = printed_page(seed, size=(240, 256), paper=220, ink=40, rows=range(8, 240, 24), grain=5.0)
    return _decoded(_saved(page, 50))


def _redrawn(page: NDArray[np.float64]) -> NDArray[np.float64]:
    """The page with one amount's digits painted out and drawn again."""
    edited = Image.fromarray(page.astype(np.uint8))
    draw = ImageDraw.Draw(edited)
    draw.rectangle((100, 104, 150, 124), fill=220)
    draw.text((100, 104), "71.35", fill=40, font=ImageFont.load_default(size=16))
    return np.asarray(edited, np.float64)


def _features(data: bytes) -> dict[str, float]:
    return dict(zip(requant.NAMES, requant.features(data), strict=True))


def test_a_digit_redrawn_between_two_saves_is_off_the_first_saves_lattice() -> None:
    # Given a page saved at quality 50 and re-saved at 90 as it is (a genuine re-save),
    # and the same page with one amount's digits painted out and redrawn before the re-save
    page = _scanned_page(3)
    # When the double-quantisation features of both are computed
    genuine = _features(_saved(page, 90))
    forged = _features(_saved(_redrawn(page), 90))
    # Then both carry the first save's lattice, and only the forged page has a window far
    # off it
    assert genuine["dq_frequencies"] > 0
    assert forged["dq_frequencies"] > 0
    assert forged["dq_z_max"] > genuine["dq_z_max"] + 10.0
    assert forged["dq_z_gap"] > genuine["dq_z_gap"]


def test_all_63_frequencies_give_an_edit_more_evidence_than_the_20_lowest() -> None:
    # Given a genuine re-save and a page with one amount redrawn between the two saves
    page = _scanned_page(4)
    genuine, forged = _saved(page, 90), _saved(_redrawn(page), 90)
    # When the features are computed over the 20 lowest and over all AC frequencies
    forged_low = _features(forged)
    genuine_all, forged_all = (
        dict(zip(requant.NAMES_ALL, requant.features(data, requant.ALL_AC), strict=True))
        for data in (genuine, forged)
    )
    # Then the genuine re-save stays on the lattice over all of them, and the edited window
    # is further off it than over the 20 lowest
    assert genuine_all["dqa_z_max"] < 4.0
    assert forged_all["dqa_frequencies"] > 20
    assert forged_all["dqa_z_max"] > forged_low["dq_z_max"] + 2.0


def test_a_page_saved_once_or_as_png_has_no_lattice() -> None:
    # Given the page's pixels saved once as JPEG, and as PNG
    page = _scanned_page(5)
    buffer = io.BytesIO()
    Image.fromarray(page.astype(np.uint8)).save(buffer, "PNG")
    # When their features are computed
    once = _features(_saved(page + np.random.default_rng(1).normal(0, 3, page.shape), 90))
    png = _features(buffer.getvalue())
    # Then there is no first compression to find: all zero
    assert png == dict.fromkeys(requant.NAMES, 0.0)
    assert once["dq_frequencies"] <= 2
    assert once["dq_z_max"] < 4.0


def test_the_first_step_is_found_from_the_second_saves_values() -> None:
    # Given coefficients that were multiples of 12 (the first save) rounded to steps of 5
    rng = np.random.default_rng(14)
    first = 12.0 * rng.integers(-6, 7, size=4000)
    values = np.round((first + rng.normal(0, 0.3, first.size)) / 5.0)
    # When the first step is estimated
    step, evidence = requant.first_step(values, 5.0)
    # Then it is 12, and values of a single save (any integer) show no lattice
    assert step == 12.0
    assert evidence > 0.25
    assert requant.first_step(np.round(rng.normal(0, 20, 4000)), 5.0) == (0.0, 0.0)
