"""The local engine's options: a reader model's manifest names them, ``LocalReader`` builds
and calls rapidocr with them (docs/bills.md, session 10). rapidocr itself is replaced by a
recorder here: what is tested is which options reach it, not what it reads."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from chalicelib.bills import ocr, reading
from ml.bills.eval_bills import cache_key


class RecordingEngine:
    """Stands in for ``rapidocr_onnxruntime.RapidOCR``: records how it was built and called,
    and reads one line whose box is in the pixels of the image it was given."""

    built: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        RecordingEngine.built.append(kwargs)

    def __call__(self, image: Any, **kwargs: Any) -> tuple[list[list[Any]], list[float]]:
        import numpy as np

        array = image if isinstance(image, np.ndarray) else None
        RecordingEngine.calls.append({"shape": None if array is None else array.shape, **kwargs})
        box = [[20, 10], [60, 10], [60, 30], [20, 30]]
        return [[box, "AB", 0.9]], [0.0]


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> type[RecordingEngine]:
    import rapidocr_onnxruntime

    RecordingEngine.built, RecordingEngine.calls = [], []
    monkeypatch.setattr(rapidocr_onnxruntime, "RapidOCR", RecordingEngine)
    monkeypatch.setattr(ocr.LocalReader, "_engines", {})
    return RecordingEngine


def png(width: int = 80, height: int = 40) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def model_with(tmp_path: Path, manifest_ocr: dict[str, Any] | None) -> reading.ReaderModel:
    shipped = reading.SHIPPED / "v3"
    for name in (reading.RECEIPT_WORDS, reading.GENERAL_WORDS):
        shutil.copy(shipped / name, tmp_path / name)
    manifest = json.loads((shipped / "manifest.json").read_text(encoding="utf-8"))
    if manifest_ocr is not None:
        manifest["ocr"] = manifest_ocr
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return reading.model_from(tmp_path)


def test_the_options_a_model_names_reach_the_engine(
    engine: type[RecordingEngine], tmp_path: Path
) -> None:
    # Given a reader model whose manifest carries OCR options
    model = model_with(tmp_path, {"use_cls": False, "unclip_ratio": 2.0})
    # When a receipt is read with it
    ocr.LocalReader(model).ocr(png())
    # Then the engine is built with the engine's options and called with the per-call ones
    assert engine.built == [
        {"intra_op_num_threads": 1, "inter_op_num_threads": 1, "use_cls": False}
    ]
    assert engine.calls[0]["unclip_ratio"] == 2.0
    assert engine.calls[0]["return_word_box"] is True


def test_models_without_options_read_with_the_engine_defaults(
    engine: type[RecordingEngine], tmp_path: Path
) -> None:
    # Given reader v3 as shipped (no "ocr" in its manifest)
    model = reading.model_from(reading.SHIPPED / "v3")
    assert model.ocr == ()
    # When a receipt is read with it
    ocr.LocalReader(model).ocr(png())
    # Then the engine is built and called as before options existed
    assert engine.built == [{"intra_op_num_threads": 1, "inter_op_num_threads": 1}]
    assert engine.calls == [{"shape": None, "return_word_box": True}]


def test_an_upscaled_image_is_read_and_its_boxes_come_back_in_the_image_pixels(
    engine: type[RecordingEngine],
) -> None:
    # Given a reader that scales the image by 2 before the engine reads it
    reader = ocr.LocalReader(options={"upscale": 2.0})
    # When an 80 x 40 image is read
    (line,) = reader.ocr(png(80, 40))
    # Then the engine saw 160 x 80 pixels and the line's box is halved back
    assert engine.calls[0]["shape"] == (80, 160, 3)
    assert line.box == (10.0, 5.0, 30.0, 15.0)


def test_an_option_the_engine_does_not_take_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown OCR option"):
        ocr.LocalReader(options={"unclip": 2.0})
    with pytest.raises(ValueError, match="number or a boolean"):
        ocr.LocalReader(options={"text_score": "low"})


def test_readings_with_other_options_are_cached_apart() -> None:
    image = png()
    assert cache_key(image) == cache_key(image, {})
    assert cache_key(image, {"use_cls": False}) != cache_key(image)
    assert cache_key(image, {"use_cls": False}) != cache_key(image, {"text_score": 0.3})


def test_a_cmyk_jpeg_reaches_the_engine_as_rgb_pixels(engine: type[RecordingEngine]) -> None:
    # Given the same receipt as an RGB PNG and as a CMYK JPEG (a scanner's or a PDF's)
    from PIL import Image

    cmyk = io.BytesIO()
    Image.new("RGB", (80, 40), "white").convert("CMYK").save(cmyk, "JPEG")

    # When both are read
    ocr.LocalReader().ocr(png())
    ocr.LocalReader().ocr(cmyk.getvalue())

    # Then the engine decodes the RGB file itself, and gets the CMYK one as 3-channel pixels
    # (decoded by the engine, its four channels were read as colours: no line at all)
    assert engine.calls[0]["shape"] is None
    assert engine.calls[1]["shape"] == (40, 80, 3)


def test_another_recognition_model_is_given_to_the_engine_by_its_path(
    engine: type[RecordingEngine],
) -> None:
    # Given a reader asked to recognise with another model and its character list
    options = {"rec_model_path": "/models/rec.onnx", "rec_keys_path": "/models/keys.txt"}
    # When a receipt is read
    ocr.LocalReader(options=options).ocr(png())
    # Then the engine is built with both paths, and such readings are cached apart
    assert engine.built == [{"intra_op_num_threads": 1, "inter_op_num_threads": 1, **options}]
    assert cache_key(png(), options) != cache_key(png())
    with pytest.raises(ValueError, match="file's path"):
        ocr.LocalReader(options={"rec_model_path": 3})
