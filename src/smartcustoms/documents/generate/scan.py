"""Scanned-looking copies of generated PDFs: raster pages with the flaws of a scanner.

Each page is rendered with pypdfium2 at ``dpi`` (150-200 is what office scanners send),
turned by a small angle (at most 1 degree), blurred a little, given sensor noise and a
slightly grey paper, compressed as JPEG, and the pages are wrapped as an image-only PDF.
The PNG pages come along for OCR engines that take images. Deterministic for a seed.
"""

from __future__ import annotations

import io
import random
import time
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

from smartcustoms.documents.errors import DocumentUnreadable

MAX_ROTATION_DEGREES = 1.0
_EPOCH = time.strptime("2026-01-01", "%Y-%m-%d")  # fixed dates: byte-identical output


@dataclass(frozen=True, slots=True)
class ScannedDocument:
    """An image-only PDF, its pages as PNG, and what was done to each page."""

    pdf: bytes
    pages_png: tuple[bytes, ...]
    dpi: int
    rotations: tuple[float, ...]  # degrees, counter-clockwise
    jpeg_quality: int


def scan_document(
    pdf: bytes, *, seed: int, dpi: int = 150, max_rotation: float = MAX_ROTATION_DEGREES
) -> ScannedDocument:
    """Rasterise ``pdf`` and degrade it like a scan; raises DocumentUnreadable if the PDF
    cannot be opened."""
    if not 72 <= dpi <= 600:
        raise ValueError(f"dpi must be between 72 and 600; got {dpi}")
    rng = random.Random(f"scan:{seed}")
    noise = np.random.default_rng(rng.randrange(2**32))
    quality = rng.randrange(45, 75)
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise DocumentUnreadable(f"cannot rasterise the PDF: {exc}") from exc
    images: list[Image.Image] = []
    rotations: list[float] = []
    try:
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            image = bitmap.to_pil().convert("L")
            bitmap.close()
            page.close()
            angle = round(rng.uniform(-max_rotation, max_rotation), 2)
            rotations.append(angle)
            images.append(_degrade(image, angle, rng, noise, quality))
    finally:
        document.close()
    pages_png = []
    for image in images:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        pages_png.append(buffer.getvalue())
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:],
                   resolution=float(dpi), creationDate=_EPOCH, modDate=_EPOCH,
                   producer="smartcustoms corpus generator")
    return ScannedDocument(pdf=out.getvalue(), pages_png=tuple(pages_png), dpi=dpi,
                           rotations=tuple(rotations), jpeg_quality=quality)


def _degrade(image: Image.Image, angle: float, rng: random.Random,
             noise: np.random.Generator, quality: int) -> Image.Image:
    paper = rng.randrange(232, 250)
    rotated = image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False,
                           fillcolor=255)
    blurred = rotated.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.4, 0.9)))
    pixels = np.asarray(blurred, dtype=np.float32) * (paper / 255.0)
    pixels += noise.normal(0.0, rng.uniform(4.0, 9.0), size=pixels.shape)
    # A few dark specks, as dust on the glass leaves.
    specks = noise.random(pixels.shape) < 0.0004
    pixels[specks] = noise.uniform(40, 140, size=int(specks.sum()))
    degraded = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    degraded.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("L")
