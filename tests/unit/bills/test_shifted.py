"""Non-aligned double quantisation (``shifted``): a bill saved as JPEG, edited, cropped by
a few pixels (the 8x8 grid moves) and saved again keeps the first save's lattice on the
moved grid everywhere but where it was edited."""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ml.bills import shifted
from tests.unit.bills.pages import printed_page

SIZE = (320, 320)
ROWS = range(10, 310, 24)


def _saved(pixels: NDArray[np.float64], quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=quality
    )
    return buffer.getvalue()


def _png(pixels: NDArray[np.float64]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def _decoded(data: bytes) -> NDArray[np.float64]:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), np.float64)


def _features(data: bytes) -> dict[str, float]:
    return dict(zip(shifted.NAMES, shifted.features(data), strict=True))


def _first_save_and_forgery(seed: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A printed page saved once at quality 60, as decoded, and the same with a block of
    amounts pasted in from a page that was never compressed."""
    first = _decoded(_saved(printed_page(seed, size=SIZE, rows=ROWS), 60))
    donor = printed_page(seed + 100, size=SIZE, rows=ROWS)
    forged = first.copy()
    forged[100:140, 60:120] = donor[100:140, 60:120]
    return first, forged


def test_a_paste_cropped_after_the_edit_is_off_the_moved_lattice() -> None:
    # Given a page saved at quality 60, and the same page with a patch pasted in; both
    # cropped by 3 rows and 5 columns (the first save's grid moves) and saved at 95
    first, forged = _first_save_and_forgery(1)
    # When the non-aligned features of both are computed
    genuine = _features(_saved(first[3:, 5:], 95))
    edited = _features(_saved(forged[3:, 5:], 95))
    # Then both find the moved grid, and only the forged page has a window far off it
    assert genuine["na_grid"] > shifted.GRID_Z
    assert edited["na_grid"] > shifted.GRID_Z
    assert edited["na_z_max"] > genuine["na_z_max"] + 5.0
    assert edited["na_z_gap"] > genuine["na_z_gap"]


def test_an_edit_saved_as_png_keeps_the_first_saves_grid() -> None:
    # Given the forged page saved as PNG without a crop (no grid of its own)
    first, forged = _first_save_and_forgery(2)
    # When the features of it and of the unedited page as PNG are computed
    genuine = _features(_png(first))
    edited = _features(_png(forged))
    # Then the first save's grid is found in both and the paste stands out
    assert edited["na_grid"] > shifted.GRID_Z
    assert edited["na_z_max"] > genuine["na_z_max"] + 5.0


def test_aligned_saves_a_single_save_and_an_uncompressed_png_give_zeros() -> None:
    # Given the forged page re-saved on the same grid, a page saved once after a crop, and
    # a page that was never compressed, saved as PNG
    page = printed_page(3, size=SIZE, rows=ROWS)
    _, forged = _first_save_and_forgery(3)
    files = [_saved(forged, 95), _saved(page[3:, 5:], 90), _png(page)]
    # When their features are computed
    values = [shifted.features(data) for data in files]
    # Then none has a moved first grid: all zeros
    assert values == [[0.0] * len(shifted.NAMES)] * 3


def test_a_small_or_non_image_format_gives_zeros() -> None:
    # Given a tiny JPEG and a GIF
    tiny = _saved(np.full((24, 24), 200.0), 90)
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 200).save(buffer, "GIF")
    # When their features are computed / Then they are zeros
    assert shifted.features(tiny) == [0.0] * len(shifted.NAMES)
    assert shifted.features(buffer.getvalue()) == [0.0] * len(shifted.NAMES)
