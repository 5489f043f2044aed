"""Cleaning a scanned page image for OCR: turning it upright and taking out table rules.

Both work on the grey image with numpy alone: the skew is the angle whose horizontal
projection of the dark pixels has the sharpest rows; a rule is a straight dark run longer
than any letter, and a cell border one that meets a rule.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["deskew", "ink_mask", "remove_rules", "skew_angle"]

MAX_SKEW_DEGREES = 3.0

def skew_angle(image: Image.Image, *, limit: float = MAX_SKEW_DEGREES) -> float:
    """The angle (degrees, counter-clockwise) the page's text lines are turned by.

    Rows of text turned by the right angle fall into the fewest pixel rows: the angle
    whose projection of the dark pixels has the largest sum of squares wins, searched
    coarse to fine on an image of about 100 dpi."""
    small = image
    factor = max(1, round(image.width / 850))
    if factor > 1:
        small = image.reduce(factor)
    pixels = np.asarray(small, dtype=np.uint8)
    threshold = min(128.0, float(np.percentile(pixels, 50)) * 0.6)
    ys, xs = np.nonzero(pixels < threshold)
    if len(ys) < 200:
        return 0.0
    xs = xs.astype(np.float64) - pixels.shape[1] / 2
    ys = ys.astype(np.float64)

    def sharpness(angle: float) -> float:
        shifted = ys + xs * math.tan(math.radians(angle))
        counts = np.bincount(np.round(shifted - shifted.min()).astype(np.int64))
        return float(np.dot(counts, counts))

    best, step = 0.0, 0.5
    candidates = np.arange(-limit, limit + 1e-9, step)
    while True:
        scores = [sharpness(a) for a in candidates]
        best = float(candidates[int(np.argmax(scores))])
        if step <= 0.025:
            return round(best, 3)
        step /= 4
        candidates = np.arange(best - 3 * step, best + 3 * step + 1e-9, step)


def deskew(image: Image.Image) -> tuple[Image.Image, float]:
    """The page turned upright, and the angle it was turned by."""
    angle = skew_angle(image)
    if abs(angle) < 0.05:
        return image, angle
    paper = int(np.percentile(np.asarray(image), 90))
    upright = image.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=False,
                           fillcolor=paper)
    return upright, angle


# --- ruling lines -----------------------------------------------------------------------
RULE_MIN_PT = 24.0  # a dark run this long (about three letters of 9 pt) is a table rule
RULE_MIN_HIGH_PT = 8.0  # a cell border down from a rule across
RULE_DARKNESS = 0.5  # how far from paper to ink a pixel must be to count as dark


def remove_rules(image: Image.Image, scale: float) -> Image.Image:
    """The page with table rules and box borders painted over in the paper's grey.

    Tesseract reads a cell border next to a digit as '|' or 'l', and a rule under a
    header row hides the row: every straight dark run of ``RULE_MIN_PT`` or more,
    across or down the page, goes (with a pixel of margin)."""
    pixels = np.asarray(image, dtype=np.uint8)
    paper, ink = _levels(pixels)
    dark = pixels < paper - RULE_DARKNESS * (paper - ink)
    across = _runs(dark, max(8, round(RULE_MIN_PT * scale)))
    # Down the page: a long rule, or a cell border that meets a rule across (a title's
    # 'l' is as tall as a header cell, but stands free).
    ends = np.asarray(Image.fromarray(across.astype(np.uint8) * 255).filter(
        ImageFilter.MaxFilter(5))) > 0
    down = (_runs(dark.T, max(8, round(RULE_MIN_PT * scale))).T
            | _runs(dark.T, max(6, round(RULE_MIN_HIGH_PT * scale)), ends.T).T)
    rules = across | down
    if not rules.any():
        return image
    rules = np.asarray(Image.fromarray(rules.astype(np.uint8) * 255).filter(
        ImageFilter.MaxFilter(3))) > 0  # and the blur's fringe around it
    cleaned = pixels.copy()
    cleaned[rules] = round(paper)
    return Image.fromarray(cleaned)


def _levels(pixels: np.ndarray) -> tuple[float, float]:
    """(paper, ink): the page's common light grey, and the core of its strokes."""
    paper = float(np.percentile(pixels, 90))
    strokes = pixels[pixels < paper - 60]
    ink = float(np.percentile(strokes, 10)) if strokes.size > 100 else paper - 120
    return paper, ink


def _runs(mask: np.ndarray, length: int, touching: np.ndarray | None = None) -> np.ndarray:
    """The True cells of ``mask`` in runs along a row of at least ``length`` cells (and,
    given ``touching``, only runs with a cell that is True there)."""
    rows, width = mask.shape
    padded = np.zeros((rows, width + 1), dtype=bool)
    padded[:, :width] = mask
    flat = padded.ravel()
    starts = flat & ~np.concatenate(([False], flat[:-1]))
    ids = np.cumsum(starts) * flat
    keep = np.bincount(ids) >= length
    if touching is not None:
        near = np.zeros((rows, width + 1), dtype=bool)
        near[:, :width] = touching
        keep &= np.bincount(ids, weights=near.ravel()) > 0
    keep[0] = False
    return keep[ids].reshape(rows, width + 1)[:, :width]


def ink_mask(image: Image.Image) -> np.ndarray:
    """Which pixels are ink: darker than half-way from the paper to the strokes' core."""
    pixels = np.asarray(image, dtype=np.uint8)
    paper, ink = _levels(pixels)
    return pixels < (paper + ink) / 2
