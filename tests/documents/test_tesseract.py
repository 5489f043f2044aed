"""Tesseract in process (``documents/extract/tesseract.py``): the TSV columns, engines kept
and lent one reading at a time (the same words whether an engine is fresh, reused or one
of several in threads), the time limit, and the errors naming what to install."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from smartcustoms.documents.extract import tesseract
from smartcustoms.documents.extract.ocr import LANGUAGES
from smartcustoms.documents.extract.tesseract import OcrFailed, OcrUnavailable


def _models() -> Path | None:
    try:
        return tesseract.tessdata_dir(LANGUAGES)
    except OcrUnavailable:
        return None


MODELS = _models()
needs_models = pytest.mark.skipif(MODELS is None, reason="Tesseract's language models are "
                                  "not installed (apt-get install tesseract-ocr-deu …)")


def _text_image(lines: list[str], size: int = 28) -> Image.Image:
    font = ImageFont.load_default(size=size)
    image = Image.new("L", (900, 60 + 60 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((30, 30 + 60 * n), line, fill=0, font=font)
    return image


INVOICE = _text_image(["Invoice No. 4711 dated 2026-03-14", "Quantity 12 pcs at 3.50 EUR"])
PACKING = _text_image(["Colis 7 Kartons, Bruttogewicht 180,5 kg"])


def _words(data: dict[str, list]) -> list[tuple[str, int, int, int, int]]:
    return [(data["text"][i], data["left"][i], data["top"][i], data["width"][i],
             data["height"][i]) for i, level in enumerate(data["level"]) if level == 5]


@needs_models
def test_read_data_gives_the_tsv_columns_with_words_and_boxes() -> None:
    data = tesseract.read_data(INVOICE, lang="eng", psm=6, timeout=30)
    assert list(data) == list(tesseract.TSV_COLUMNS)
    assert len({len(column) for column in data.values()}) == 1  # one value per row
    words = [w for w, *_box in _words(data)]
    assert words[:3] == ["Invoice", "No.", "4711"] and "3.50" in words
    for i, level in enumerate(data["level"]):
        assert isinstance(data["left"][i], int) and isinstance(data["conf"][i], int)
        assert (data["conf"][i] == -1) == (level != 5)  # only words have a confidence
    first = _words(data)[0]
    assert 20 <= first[1] <= 40 and 20 <= first[2] <= 50  # where it was drawn, in pixels


@needs_models
def test_an_engine_is_reused_and_reads_the_same_as_a_fresh_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract, "_idle", {})
    fresh = tesseract.read_data(PACKING, lang=LANGUAGES, psm=6, timeout=30)
    assert len(tesseract._idle[LANGUAGES]) == 1  # given back, kept loaded
    tesseract.read_data(INVOICE, lang=LANGUAGES, psm=11, timeout=30)  # another page, mode
    again = tesseract.read_data(PACKING, lang=LANGUAGES, psm=6, timeout=30)
    assert again == fresh and len(tesseract._idle[LANGUAGES]) == 1
    assert tesseract._idle[LANGUAGES][0].GetInitLanguagesAsString() == LANGUAGES
    assert [w for w, *_box in _words(fresh)][:3] == ["Colis", "7", "Kartons,"]


@needs_models
def test_concurrent_readings_each_get_an_engine_of_their_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract, "_idle", {})
    alone = {name: tesseract.read_data(image, lang="eng", psm=6, timeout=30)
             for name, image in (("invoice", INVOICE), ("packing", PACKING))}
    jobs = [("invoice", INVOICE), ("packing", PACKING)] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        read = list(pool.map(
            lambda job: tesseract.read_data(job[1], lang="eng", psm=6, timeout=30), jobs))
    assert read == [alone[name] for name, _image in jobs]
    assert 1 <= len(tesseract._idle["eng"]) <= tesseract.IDLE_PER_LANGUAGES


@needs_models
def test_past_the_time_limit_fails_and_the_engine_still_reads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract, "_idle", {})
    page = _text_image(["Gross weight 1,234.5 kg net 1,100.0 kg"] * 30, size=22)
    with pytest.raises(OcrFailed, match=r"took longer than 0\.001 s"):
        tesseract.read_data(page, lang=LANGUAGES, psm=11, timeout=0.001)
    data = tesseract.read_data(INVOICE, lang=LANGUAGES, psm=6, timeout=30)
    assert "4711" in data["text"]


@needs_models
def test_a_colour_image_is_read_as_grey() -> None:
    grey = tesseract.read_data(INVOICE, lang="eng", psm=6, timeout=30)
    assert tesseract.read_data(INVOICE.convert("RGB"), lang="eng", psm=6, timeout=30) == grey


@needs_models
def test_models_are_found_through_tessdata_prefix(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert MODELS is not None
    for code in ("eng", "deu"):
        shutil.copy(MODELS / f"{code}.traineddata", tmp_path)
    monkeypatch.setattr(tesseract, "MODEL_DIRS", ())
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert tesseract.tessdata_dir("eng+deu") == tmp_path
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path.parent))  # a prefix above 'tessdata'
    (tmp_path.parent / "tessdata").mkdir(exist_ok=True)
    shutil.copy(MODELS / "eng.traineddata", tmp_path.parent / "tessdata")
    assert tesseract.tessdata_dir("eng") == tmp_path.parent / "tessdata"


def test_a_missing_language_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "eng.traineddata").write_bytes(b"")
    monkeypatch.setattr(tesseract, "MODEL_DIRS", ())
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    with pytest.raises(OcrUnavailable, match=r"lacks the language model\(s\) "
                       r"deu.traineddata, spa.traineddata in .*apt-get install tesseract-ocr"):
        tesseract.tessdata_dir("eng+deu+spa")


def test_no_models_at_all_name_where_they_were_sought(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract, "MODEL_DIRS", ("/nonexistent/tessdata",))
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    monkeypatch.setattr(tesseract, "_idle", {})
    with pytest.raises(OcrUnavailable, match="no Tesseract language models were found "
                       r"\(TESSDATA_PREFIX or /nonexistent/tessdata\)"):
        tesseract.read_data(INVOICE, lang="eng", psm=6, timeout=30)


def test_a_broken_binding_is_reported_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "tesserocr", None)  # import fails
    monkeypatch.setattr(tesseract, "_idle", {})
    with pytest.raises(OcrUnavailable, match="tesserocr binding cannot be loaded"):
        tesseract.read_data(INVOICE, lang="eng", psm=6, timeout=30)
    with pytest.raises(OcrUnavailable):
        tesseract.version()


@needs_models
def test_version_names_the_library() -> None:
    major, *_rest = tesseract.version().split(".")
    assert int(major) >= 5
