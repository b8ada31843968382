"""The deployment zip: functions/ joins it, the development package stays out."""

from __future__ import annotations

import zipfile
from pathlib import Path

from scripts.package import _repack


def test_the_aws_bundle_has_the_functions_and_no_development_package(tmp_path: Path) -> None:
    # Given the zip Chalice builds (app.py and all of chalicelib/)
    bundle = tmp_path / "deployment.zip"
    with zipfile.ZipFile(bundle, "w") as built:
        built.writestr("app.py", "app")
        built.writestr("chalicelib/core/settings.py", "settings")
        built.writestr("chalicelib/dev/demo.py", "demo data")
        built.writestr("chalicelib/dev/payments.py", "simulator")

    # When it is repacked for AWS
    _repack(bundle)

    # Then the functions are in, the development package is out, the rest is unchanged
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"app.py", "chalicelib/core/settings.py", "functions/event_archive.py"} <= names
    assert not [name for name in names if name.startswith("chalicelib/dev/")]
    assert not list(tmp_path.glob("*.chalice.zip"))
