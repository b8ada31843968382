"""Build the AWS deployment artefacts: ``out/sam.json`` and ``out/deployment.zip``.

1. ``chalice package --merge-template infra/template.yaml`` generates the API's
   resources and merges ours into them (one template for everything).
2. ``functions/`` joins the deployment package (Chalice packages only app.py and
   chalicelib/), so every function shares one artefact; ``chalicelib/dev/`` (demo data,
   the local mailbox, the payment simulator) is left out: ``app.py`` imports it on the
   local and test stages only; so is numpy (the ML layer's: LEFT_TO_THE_ML_LAYER).
   Every module's bytecode is added (cold starts on a read-only file system would
   otherwise compile each import).
3. State machine ``DefinitionUri`` files are inlined as ``Definition``.
4. Each layer of ``layers/<name>/requirements.txt`` is installed for the Lambda platform
   (manylinux2014 x86_64, CPython 3.11, wheels only, ``--no-deps``: the file lists every
   package) into ``out/<name>-layer/python`` (the template's ``ContentUri``); the bill
   layer is pruned like ``make ml-bills-layer`` prunes it (``scripts/ml_layer.prune``).
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

from localcloud.template import load_template

ROOT = Path(__file__).resolve().parent.parent


def package(out: Path, stage: str = "dev") -> Path:
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    chalice = Path(sys.executable).parent / "chalice"
    subprocess.run(
        [
            str(chalice),
            "package",
            "--stage",
            stage,
            "--merge-template",
            "infra/template.yaml",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    _repack(out / "deployment.zip")
    for requirements in sorted((ROOT / "layers").glob("*/requirements.txt")):
        _build_layer(requirements, out / f"{requirements.parent.name}-layer")
    from scripts.ml_layer import prune  # the bill layer as `make ml-bills-layer` builds it

    prune(out / "ml-bills-layer" / "python")
    # With a YAML merge template Chalice writes sam.yaml; the artefact we ship is JSON.
    generated = out / "sam.yaml"
    template = load_template(generated)
    generated.unlink()
    template_path = out / "sam.json"
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            definition_file = ROOT / "infra" / props.pop("DefinitionUri")
            props["Definition"] = json.loads(definition_file.read_text())
    template_path.write_text(json.dumps(template, indent=2))
    return template_path


DEVELOPMENT_ONLY = "chalicelib/dev/"
# numpy (72 MB unzipped with its bytecode) belongs to the ML layer (layers/), not to the
# bundle every function gets: its only user here, the HyperLogLog core of `datasketches`
# (analytics' unique visitors, `_datasketches`), runs without it
# (tests/unit/analytics/test_sketch.py), though the wheel lists it as a dependency.
LEFT_TO_THE_ML_LAYER = ("numpy/", "numpy.libs/")


def _left_out(name: str) -> bool:
    top = name.split("/", 1)[0]
    return (
        name.startswith(DEVELOPMENT_ONLY)
        or name.startswith(LEFT_TO_THE_ML_LAYER)
        or (top.startswith("numpy-") and top.endswith(".dist-info"))
    )


# Never imported at run time, and big: onnx's backend test data (54 MB of the recs-train
# layer, which with deployment.zip must stay under Lambda's 250 MB unzipped).
LAYER_PRUNED = ("onnx/backend/test/data",)


def _build_layer(requirements: Path, target: Path) -> None:
    """Install a layer's pinned packages for the Lambda platform into ``target/python``."""
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_x86_64",
            "--implementation",
            "cp",
            "--python-version",
            "3.11",
            "--target",
            str(target / "python"),
            "-r",
            str(requirements),
        ],
        check=True,
    )
    for pruned in LAYER_PRUNED:
        shutil.rmtree(target / "python" / pruned, ignore_errors=True)


def _repack(bundle_path: Path) -> None:
    """Add ``functions/`` to Chalice's zip, leave the development package out, and ship
    every module's bytecode.

    Lambda's file system is read-only, so without ``__pycache__`` in the bundle every cold
    start compiles each module it imports. The bytecode is unchecked-hash (PEP 552): valid
    whatever the files' times, and it is this interpreter's (the template's runtime,
    python3.11).
    """
    built = bundle_path.with_suffix(".chalice.zip")
    bundle_path.replace(built)
    with (
        zipfile.ZipFile(built) as source,
        zipfile.ZipFile(bundle_path, "w", compression=zipfile.ZIP_DEFLATED) as bundle,
    ):
        files: dict[str, bytes] = {
            info.filename: source.read(info)
            for info in source.infolist()
            if not _left_out(info.filename) and not info.is_dir()
        }
        for path in sorted((ROOT / "functions").rglob("*.py")):
            files.setdefault(path.relative_to(ROOT).as_posix(), path.read_bytes())
        for name, data in files.items():
            bundle.writestr(name, data)
        present = set(files)
        for name, data in files.items():
            cached = _bytecode_name(name)
            if cached is not None and cached not in present:
                code = _bytecode(name, data)
                if code is not None:
                    bundle.writestr(cached, code)
    built.unlink()


def _bytecode_name(name: str) -> str | None:
    if not name.endswith(".py"):
        return None
    return importlib.util.cache_from_source(name)


def _bytecode(name: str, source: bytes) -> bytes | None:
    """Unchecked-hash ``.pyc`` bytes of ``source``; None if it does not compile here."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # packages' own SyntaxWarnings, not ours to fix
            code = compile(source, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None  # e.g. a package's Python 2 test file: left to the source
    flags = (0b01).to_bytes(4, "little")  # hash-based, source not checked
    return (
        importlib.util.MAGIC_NUMBER
        + flags
        + importlib.util.source_hash(source)
        + (marshal.dumps(code))
    )


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    print(package(ROOT / target if not target.is_absolute() else target))
