"""The numpy stand-ins for the OpenCV calls of the forensic features give OpenCV's results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageOps

from chalicelib.bills import imaging

cv2 = pytest.importorskip("cv2")  # OpenCV comes with the local OCR engine (dev venv)
ROOT = Path(__file__).resolve().parents[3]
STEMS = ("000", "065", "177")


def images() -> Path:
    """The dev receipts' images: ``../shared`` beside the project (CI), else the workplace's."""
    for candidate in (ROOT.parent / "shared", Path("/work/shared")):
        if (candidate / "data" / "receipts" / "images").is_dir():
            return candidate / "data" / "receipts" / "images"
    pytest.skip("the dev receipts (shared/data/receipts) are not on this machine")


def receipts() -> list[NDArray[np.float32]]:
    folder = images()
    return [
        np.asarray(ImageOps.grayscale(Image.open(folder / f"{stem}.jpg")), np.float32)
        for stem in STEMS
    ]


def test_otsu_ink_and_the_components_match_opencv_on_receipts() -> None:
    for gray in receipts():
        image = np.clip(gray, 0, 255).astype(np.uint8)
        # Given a receipt thresholded by Otsu, by OpenCV and by numpy
        kind = cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU
        level, ink = cv2.threshold(image, 0, 1, kind)
        ours_level, ours_ink = imaging.threshold(
            image, 0, 1, imaging.THRESH_BINARY_INV + imaging.THRESH_OTSU
        )
        assert ours_level == level
        assert np.array_equal(ours_ink, ink)
        # When its marks are labelled 8-connected
        count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
        ours = imaging.connectedComponentsWithStats(ink, connectivity=8)
        # Then the same marks with the same boxes, areas and centroids come out
        assert ours[0] == count
        theirs_order, ours_order = np.lexsort(stats.T[::-1]), np.lexsort(ours[2].T[::-1])
        assert np.array_equal(ours[2][ours_order], stats[theirs_order])
        assert np.allclose(ours[3][ours_order], centroids[theirs_order])
        pairs = set(zip(labels[ink > 0].tolist(), ours[1][ink > 0].tolist(), strict=True))
        assert len(pairs) == count - 1  # one numpy label per OpenCV label


def test_sobel_matches_opencv() -> None:
    gray = receipts()[0]
    for dx, dy in ((1, 0), (0, 1)):
        theirs = cv2.Sobel(gray, cv2.CV_32F, dx, dy, ksize=3)
        assert np.allclose(imaging.Sobel(gray, imaging.CV_32F, dx, dy, ksize=3), theirs, atol=1e-3)


def test_the_forensic_features_are_the_same_as_with_opencv(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import chalicelib.bills
    from chalicelib.bills import forensics

    data = (images() / "065.jpg").read_bytes()
    # Given the features as served (numpy standing in for OpenCV)
    served = forensics.features(data)
    # When OpenCV itself computes them (as when the model was trained)
    monkeypatch.setattr(chalicelib.bills, "imaging", cv2)
    with_opencv = forensics.features(data)
    # Then every feature is the same
    assert np.allclose(served, with_opencv, atol=1e-4)
