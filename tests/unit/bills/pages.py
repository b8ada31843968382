"""Synthetic receipt pages for the forensic features' tests."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def printed_page(
    seed: int,
    *,
    size: tuple[int, int] = (220, 240),
    paper: int = 235,
    ink: int = 30,
    rows: range = range(10, 230, 24),
    grain: float = 4.0,
) -> NDArray[np.float64]:
    """Lines of printed amounts on paper, with the grain of a scan (each printed mark has
    its own noise, as print has), in 0..255."""
    rng = np.random.default_rng(seed)
    page = Image.new("L", size, paper)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=16)
    for row in rows:
        text = " ".join(f"{rng.integers(10, 999)}.{rng.integers(0, 99):02d}" for _ in range(2))
        draw.text((8, row), text, fill=ink, font=font)
    pixels = np.asarray(page.filter(ImageFilter.GaussianBlur(0.7)), np.float64)
    return np.clip(pixels + rng.normal(0, grain, pixels.shape), 0, 255)
