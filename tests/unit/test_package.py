"""The deployment zip: functions/ joins it, the development package stays out."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

from scripts.package import _repack


def test_the_aws_bundle_has_the_functions_and_no_development_package(tmp_path: Path) -> None:
    # Given the zip Chalice builds (app.py and all of chalicelib/)
    bundle = tmp_path / "deployment.zip"
    with zipfile.ZipFile(bundle, "w") as built:
        built.writestr("app.py", "app")
        built.writestr("chalicelib/core/settings.py", "LIMIT = 3\n")
        built.writestr("chalicelib/dev/demo.py", "demo data")
        built.writestr("chalicelib/dev/payments.py", "simulator")
        built.writestr("numpy/__init__.py", "numpy")
        built.writestr("numpy.libs/libopenblas.so", "blas")
        built.writestr("numpy-2.2.6.dist-info/METADATA", "meta")
        built.writestr("datasketches/__init__.py", "sketches")

    # When it is repacked for AWS
    _repack(bundle)

    # Then the functions are in, the development package and numpy (the ML layer's) are
    # out, the rest is unchanged
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"app.py", "chalicelib/core/settings.py", "functions/event_archive.py"} <= names
    assert "datasketches/__init__.py" in names
    assert not [name for name in names if name.startswith("chalicelib/dev/")]
    assert not [name for name in names if name.startswith("numpy")]
    assert not list(tmp_path.glob("*.chalice.zip"))


def test_the_bundle_carries_bytecode_python_uses_without_the_source_times(
    tmp_path: Path,
) -> None:
    # Given a bundle with one module and a file that is not Python 3
    bundle = tmp_path / "deployment.zip"
    with zipfile.ZipFile(bundle, "w") as built:
        built.writestr("pkg/__init__.py", "")
        built.writestr("pkg/limits.py", "LIMIT = 3\n")
        built.writestr("pkg/legacy.py", "print 'python 2'\n")

    # When it is repacked and unpacked (as Lambda does, on a read-only file system)
    _repack(bundle)
    unpacked = tmp_path / "task"
    zipfile.ZipFile(bundle).extractall(unpacked)

    # Then the module's bytecode is there, and a fresh interpreter imports it from there
    # even though the source is newer than nothing checks (unchecked-hash .pyc)
    assert (unpacked / importlib.util.cache_from_source("pkg/limits.py")).exists()
    assert not (unpacked / importlib.util.cache_from_source("pkg/legacy.py")).exists()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pkg.limits as m; print(m.LIMIT, m.__cached__, m.__spec__.cached)",
        ],
        cwd=unpacked,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("3 ")
    (unpacked / "pkg" / "limits.py").write_text("LIMIT = 4\n")  # the shipped .pyc wins
    again = subprocess.run(
        [sys.executable, "-c", "import pkg.limits as m; print(m.LIMIT)"],
        cwd=unpacked,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert again.stdout.strip() == "3"
