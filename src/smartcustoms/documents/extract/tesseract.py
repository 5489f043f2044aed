"""Tesseract in process: engines loaded once and lent to one reading at a time.

A run of the ``tesseract`` program loads its language models afresh (about 0.35 s for the
four languages) and reads its image from a file the wrapper wrote, and a scanned page
takes three to five runs (the page, its header lines, its table rows, its empty cells).
tesserocr binds Tesseract's library instead: an engine is initialised once per language
set and kept, so a page costs its recognition alone (half the CPU time of the program
runs on the generator's scans). Tesseract's engine is not thread-safe, so each one is
lent to one reading at a time; a reading that finds none idle starts another, and at
most ``IDLE_PER_LANGUAGES`` are kept idle per language set.

The models are the system's (Debian's ``tesseract-ocr-eng`` …): ``TESSDATA_PREFIX`` when
it is set, else the first of the usual folders that holds them. ``read_data`` answers
with one list per column of Tesseract's TSV output (level, box, confidence, text), the
shape the readers of words are written against.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from smartcustoms.documents.errors import DocumentUnreadable

__all__ = [
    "OcrFailed",
    "OcrUnavailable",
    "read_data",
    "tessdata_dir",
    "version",
]

IDLE_PER_LANGUAGES = 4
TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left",
               "top", "width", "height", "conf", "text")
# Where Debian (5 and 4.00), Fedora, Homebrew and a source build put the models.
MODEL_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
              "/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata")
INSTALL_HINT = ("install them with 'apt-get install tesseract-ocr-eng tesseract-ocr-deu "
                "tesseract-ocr-fra tesseract-ocr-spa' (scripts/venv.sh does this)")


class OcrUnavailable(DocumentUnreadable):
    """The Tesseract OCR engine (or a language it needs) is not installed."""

    code = "document-ocr-unavailable"
    title = "Scanned documents cannot be read: the OCR engine is not installed"


class OcrFailed(Exception):
    """Tesseract did not finish reading an image (it ran past its time, or failed)."""


_idle: dict[str, list[Any]] = {}
_lock = threading.Lock()


def tessdata_dir(languages: str = "eng") -> Path:
    """The folder of Tesseract's models that holds every one of ``languages`` ('eng+deu');
    raises OcrUnavailable naming what is missing."""
    wanted = [f"{code}.traineddata" for code in languages.split("+")]
    prefix = os.environ.get("TESSDATA_PREFIX")
    candidates = [Path(prefix), Path(prefix) / "tessdata"] if prefix else []
    candidates += [Path(folder) for folder in MODEL_DIRS]
    holding = [folder for folder in candidates if (folder / wanted[0]).is_file()]
    for folder in holding:
        if all((folder / name).is_file() for name in wanted):
            return folder
    if holding:
        missing = [name for name in wanted if not (holding[0] / name).is_file()]
        raise OcrUnavailable(f"Tesseract lacks the language model(s) "
                             f"{', '.join(missing)} in {holding[0]}; {INSTALL_HINT}")
    raise OcrUnavailable(f"no Tesseract language models were found (TESSDATA_PREFIX or "
                         f"{', '.join(MODEL_DIRS)}); {INSTALL_HINT}")


def version() -> str:
    """The Tesseract library's version ('5.5.4'); raises OcrUnavailable without it."""
    tesserocr = _tesserocr()
    return str(tesserocr.tesseract_version()).split()[1]


def read_data(image: Image.Image, *, lang: str, psm: int, timeout: float
              ) -> dict[str, list[Any]]:
    """Tesseract's words of ``image`` in page segmentation mode ``psm``: one list per TSV
    column (numbers as int, confidence -1 for blocks and lines). Raises OcrFailed past
    ``timeout`` seconds, OcrUnavailable without the engine or a language."""
    grey = image if image.mode == "L" else image.convert("L")
    with _engine(lang) as engine:
        engine.SetPageSegMode(psm)
        # Raw pixels, no resolution: as from a PNG without one, Tesseract estimates it.
        engine.SetImageBytes(grey.tobytes(), grey.width, grey.height, 1, grey.width)
        try:
            started = time.monotonic()
            if not engine.Recognize(max(1, round(timeout * 1000))):
                if time.monotonic() - started >= timeout:
                    raise OcrFailed(f"took longer than {timeout:g} s")
                raise OcrFailed("failed (Tesseract could not recognise the image)")
            tsv = engine.GetTSVText(0)
        finally:
            engine.Clear()
    return _columns(tsv)


def _columns(tsv: str) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = {name: [] for name in TSV_COLUMNS}
    texts = data["text"]
    numbers = [data[name] for name in TSV_COLUMNS[:-1]]
    for row in tsv.splitlines():
        cells = row.split("\t", len(TSV_COLUMNS) - 1)
        if len(cells) < len(TSV_COLUMNS) - 1:
            continue
        for column, cell in zip(numbers, cells, strict=False):
            column.append(int(float(cell)))
        texts.append(cells[-1] if len(cells) == len(TSV_COLUMNS) else "")
    return data


@contextmanager
def _engine(lang: str) -> Iterator[Any]:
    with _lock:
        idle = _idle.setdefault(lang, [])
        engine = idle.pop() if idle else None
    if engine is None:
        engine = _start(lang)
    try:
        yield engine
    finally:
        with _lock:
            if len(idle) < IDLE_PER_LANGUAGES:
                idle.append(engine)
                engine = None
        if engine is not None:
            engine.End()


def _start(lang: str) -> Any:
    tesserocr = _tesserocr()
    path = tessdata_dir(lang)
    try:
        # Trailing separator: Tesseract appends the model's file name to the path as given.
        return tesserocr.PyTessBaseAPI(path=f"{path}{os.sep}", lang=lang)
    except RuntimeError as exc:
        raise OcrUnavailable(f"Tesseract could not load {lang} from {path}: {exc}; "
                             f"{INSTALL_HINT}") from exc


def _tesserocr() -> Any:
    try:
        import tesserocr
    except ImportError as exc:  # the binding ships as a wheel: a broken install
        raise OcrUnavailable(f"the tesserocr binding cannot be loaded ({exc}); "
                             "reinstall smartcustoms (pip install -e .)") from exc
    return tesserocr
