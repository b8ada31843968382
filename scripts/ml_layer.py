"""Build the ML runtime layer: ``out/ml-bills-layer/python`` and ``out/ml-bills-layer.zip``.

Wheels for the Lambda platform (manylinux2014_x86_64, CPython 3.11) of
``layers/ml-bills/requirements.txt`` (onnxruntime, numpy, the OCR engine and its models,
textractor), with their tests, caches and bytecode left out. Prints the unzipped size
against Lambda's 250 MB limit (function and layers together, unzipped) and the share left
for the function's own zip.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 250 * 1024 * 1024
PRUNE = ("__pycache__", "tests", "test")
# OpenCV's Haar cascades (face detection data): nothing here reads them.
DROP = ("cv2/data",)


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


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
    for pattern in PRUNE:
        for found in list(target.rglob(pattern)):
            if found.is_dir() and "site-packages" not in found.parts:
                shutil.rmtree(found, ignore_errors=True)
    for relative in DROP:
        shutil.rmtree(target / relative, ignore_errors=True)
    archive = out / "ml-bills-layer.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for file in sorted(target.parent.rglob("*")):
            if file.is_file():
                handle.write(file, file.relative_to(target.parent))
    return archive, size_of(target)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "out"
    archive, unzipped = build(out)
    function = out / "deployment.zip"
    function_size = 0
    if function.exists():
        with zipfile.ZipFile(function) as handle:
            function_size = sum(info.file_size for info in handle.infolist())
    mb = 1024 * 1024
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
    return 0 if unzipped + function_size <= LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
