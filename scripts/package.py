"""Build the AWS deployment artefacts: ``out/sam.json`` and ``out/deployment.zip``.

1. ``chalice package --merge-template infra/template.yaml`` generates the API's
   resources and merges ours into them (one template for everything).
2. ``functions/`` joins the deployment package (Chalice packages only app.py and
   chalicelib/), so every function shares one artefact; ``chalicelib/dev/`` (demo data,
   the local mailbox, the payment simulator) is left out: ``app.py`` imports it on the
   local and test stages only.
3. State machine ``DefinitionUri`` files are inlined as ``Definition``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def _repack(bundle_path: Path) -> None:
    """Add ``functions/`` to Chalice's zip and leave the development package out."""
    built = bundle_path.with_suffix(".chalice.zip")
    bundle_path.replace(built)
    with (
        zipfile.ZipFile(built) as source,
        zipfile.ZipFile(bundle_path, "w", compression=zipfile.ZIP_DEFLATED) as bundle,
    ):
        for info in source.infolist():
            if not info.filename.startswith(DEVELOPMENT_ONLY):
                bundle.writestr(info, source.read(info))
        present = set(bundle.namelist())
        for path in sorted((ROOT / "functions").rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name not in present:
                bundle.write(path, name)
    built.unlink()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    print(package(ROOT / target if not target.is_absolute() else target))
