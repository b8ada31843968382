"""Build the bill layer: ``out/ml-bills-layer/python`` and ``out/ml-bills-layer.zip``.

Wheels for the Lambda platform (manylinux2014_x86_64, CPython 3.11) of
``layers/ml-bills/requirements.txt`` (onnxruntime, numpy, textractor), with their tests,
caches, type stubs, headers and the packages' tools left out. Prints what is in it (MB per
package), the unzipped size against Lambda's 250 MB limit (function and layers together,
unzipped) with the function's own zip (``out/deployment.zip`` when built), and then runs
the bill verification's ML steps with only the layer's numpy and onnxruntime and without
OpenCV: the shipped authenticity model scores, a Textract AnalyzeExpense response parses,
and the forensic features are computed. Exit status 1 if it does not fit or a step fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 250 * 1024 * 1024
PRUNE = ("__pycache__", "tests", "test")
# Parts no import of inference reaches: onnxruntime's conversion/quantisation tools,
# numpy's Fortran wrapper generator, build helpers and C headers.
DROP = (
    "onnxruntime/transformers",
    "onnxruntime/tools",
    "onnxruntime/quantization",
    "onnxruntime/datasets",
    "numpy/f2py",
    "numpy/distutils",
    "numpy/_pyinstaller",
    "numpy/core/include",
)
PROBE = """
import json, sys
sys.modules["cv2"] = None  # no OpenCV on AWS: any import of it fails here
from pathlib import Path
import numpy, onnxruntime
root = Path(sys.argv[1])
from chalicelib.bills import authenticity, forensics, ocr, reading
from chalicelib.core.settings import BillsSettings
model = authenticity.shipped(BillsSettings.model_fields["bills_model_version"].default)
row = numpy.zeros((1, len(forensics.FEATURES)), numpy.float32)
probability = float(authenticity.score_features(model, row)[0])
response = json.loads((root / "tests/fixtures/textract/analyze_expense_receipt.json").read_text())
found = ocr.extraction_from_expense(response, model=reading.default_model())
result = {"numpy": numpy.__version__, "onnxruntime": onnxruntime.__version__,
          "probability": round(probability, 4), "textract_total": found.total}
try:
    receipts = root.parent / "shared" / "data" / "receipts" / "images"
    if not receipts.is_dir():
        receipts = Path("/work/shared/data/receipts/images")
    image = sorted(receipts.glob("*.jpg"))[0].read_bytes()
    result["forensic_features"] = len(forensics.features(image))
except Exception as error:  # reported, not hidden
    result["forensic_features"] = f"FAILED: {type(error).__name__}: {error}"
print(json.dumps(result))
"""


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def prune(target: Path) -> None:
    """Leave out what inference never imports (tests, caches, stubs, tools, headers);
    ``make package`` prunes the layer it builds the same way."""
    for pattern in PRUNE:
        for found in list(target.rglob(pattern)):
            if found.is_dir() and "site-packages" not in found.parts:
                shutil.rmtree(found, ignore_errors=True)
    for relative in DROP:
        shutil.rmtree(target / relative, ignore_errors=True)
    for stub in target.rglob("*.pyi"):
        stub.unlink()


def build(out: Path) -> tuple[Path, int]:
    target = out / "ml-bills-layer" / "python"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "--no-deps",
            "--platform",
            "manylinux2014_x86_64",
            "--implementation",
            "cp",
            "--python-version",
            "3.11",
            "--only-binary=:all:",
            "--target",
            str(target),
            "-r",
            str(ROOT / "layers" / "ml-bills" / "requirements.txt"),
        ],
        check=True,
    )
    prune(target)
    archive = out / "ml-bills-layer.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for file in sorted(target.parent.rglob("*")):
            if file.is_file():
                handle.write(file, file.relative_to(target.parent))
    return archive, size_of(target)


def breakdown(target: Path) -> list[tuple[str, int]]:
    """MB per top-level entry (a package with its ``.libs``), largest first."""
    sizes: dict[str, int] = {}
    for entry in target.iterdir():
        name = entry.name.split("-")[0] if entry.name.endswith(".dist-info") else entry.name
        name = name.removesuffix(".libs").removesuffix(".py")
        size = size_of(entry) if entry.is_dir() else entry.stat().st_size
        sizes[name] = sizes.get(name, 0) + size
    return sorted(sizes.items(), key=lambda item: -item[1])


def probe(target: Path) -> bool:
    """The verification's ML steps with the layer's packages first on the path."""
    found = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT)],
        env={**os.environ, "PYTHONPATH": f"{target}:{ROOT}"},
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        print(f"layer probe failed:\n{found.stderr[-2000:]}")
        return False
    result = json.loads(found.stdout.strip().splitlines()[-1])
    print(f"layer probe (no OpenCV): {result}")
    return isinstance(result.get("forensic_features"), int)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "out"
    archive, unzipped = build(out)
    mb = 1024 * 1024
    target = out / "ml-bills-layer" / "python"
    print(
        "in the layer (MB unzipped): "
        + ", ".join(f"{name} {size / mb:.1f}" for name, size in breakdown(target) if size >= mb / 2)
    )
    function = out / "deployment.zip"
    function_size = 0
    if function.exists():
        with zipfile.ZipFile(function) as handle:
            function_size = sum(info.file_size for info in handle.infolist())
    print(
        f"ML layer: {archive} {archive.stat().st_size / mb:.1f} MB zipped, "
        f"{unzipped / mb:.1f} MB unzipped"
    )
    if function_size:
        print(
            f"with the function zip ({function_size / mb:.1f} MB unzipped): "
            f"{(unzipped + function_size) / mb:.1f} MB of Lambda's 250 MB"
        )
    else:
        print(f"{unzipped / mb:.1f} MB of Lambda's 250 MB (layers + function, unzipped)")
    fits = unzipped + function_size <= LIMIT
    print(f"margin: {(LIMIT - unzipped - function_size) / mb:.1f} MB")
    works = probe(target)
    return 0 if fits and works else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
