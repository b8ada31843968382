"""The import contracts in pyproject.toml catch what they promise to catch.

The code itself is linted by ``make lint`` (``lint-imports``). Here the contracts are run
on a skeleton of the package tree in a temporary directory: every package and module of
chalicelib, functions and localcloud, emptied, so no import exists but the one a test
adds. The skeleton keeps every contract; one upward or cross-capability import breaks
exactly the contract that forbids it, and the report names that import.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("chalicelib", "functions", "localcloud")
CONTRACTS: dict[str, str] = {
    contract["id"]: contract["name"]
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
}
LINT_IMPORTS = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"]


def lint_imports(tree: Path) -> tuple[int, str]:
    """Run ``lint-imports`` on ``tree`` (its own pyproject.toml, its packages first on the
    path); the exit code and the report with line wrapping undone."""
    done = subprocess.run(
        [*LINT_IMPORTS, "pyproject.toml", "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def verdicts(report: str) -> dict[str, str]:
    """Each contract id → "KEPT" or "BROKEN", as the report says."""
    found = {}
    for contract_id, name in CONTRACTS.items():
        for verdict in ("KEPT", "BROKEN"):
            if f"{name} {verdict}" in report:
                found[contract_id] = verdict
    return found


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package tree with every module emptied, and the real contracts."""
    tree = tmp_path_factory.mktemp("skeleton")
    for package in PACKAGES:
        for module in (ROOT / package).rglob("*.py"):
            copy = tree / module.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.touch()
    # The skeleton has none of the allowed edges, so their ignores match nothing: on the
    # real tree an unmatched ignore is an error (the list stays exact), here it is not.
    config = (ROOT / "pyproject.toml").read_text()
    allowed_edges = 'id = "sealed-capabilities"'
    assert allowed_edges in config
    config = config.replace(
        allowed_edges, allowed_edges + '\nunmatched_ignore_imports_alerting = "none"'
    )
    (tree / "pyproject.toml").write_text(config)
    return tree


@pytest.fixture
def tree(skeleton: Path, tmp_path: Path) -> Path:
    """A throw-away copy of the skeleton a test may add imports to."""
    copy = tmp_path / "tree"
    shutil.copytree(skeleton, copy)
    return copy


def add_module(tree: Path, dotted: str, source: str = "") -> None:
    """Write module ``dotted`` (and any package it needs) into ``tree``."""
    path = tree.joinpath(*dotted.split(".")).with_suffix(".py")
    for package in [*reversed(path.relative_to(tree).parents)][1:]:
        (tree / package).mkdir(exist_ok=True)
        (tree / package / "__init__.py").touch()
    path.write_text(source)


def test_the_skeleton_keeps_every_contract(tree: Path) -> None:
    code, report = lint_imports(tree)
    assert verdicts(report) == dict.fromkeys(CONTRACTS, "KEPT"), report
    assert code == 0


def test_catalog_importing_identitys_repository_breaks_the_sealed_capabilities(
    tree: Path,
) -> None:
    # Given identity's repository, and a catalog module that imports it
    add_module(tree, "chalicelib.identity.repository")
    add_module(tree, "chalicelib.catalog.upward", "from chalicelib.identity import repository\n")
    # When the contracts run
    code, report = lint_imports(tree)
    # Then lint fails on sealed-capabilities alone, naming the import
    assert code != 0
    assert verdicts(report) == dict.fromkeys(CONTRACTS, "KEPT") | {
        "sealed-capabilities": "BROKEN"
    }, report
    assert "chalicelib.catalog.upward -> chalicelib.identity.repository" in report


def test_an_allowed_edge_keeps_the_sealed_capabilities(tree: Path) -> None:
    # Given a catalog module that reaches identity through its service (a listed edge)
    add_module(tree, "chalicelib.identity.service")
    add_module(tree, "chalicelib.catalog.shops", "from chalicelib.identity import service\n")
    # When the contracts run; Then every contract is kept
    code, report = lint_imports(tree)
    assert verdicts(report) == dict.fromkeys(CONTRACTS, "KEPT"), report
    assert code == 0


def test_a_repository_importing_its_service_breaks_the_layers(tree: Path) -> None:
    # Given realtime's repository importing realtime's service (upward)
    add_module(tree, "chalicelib.realtime.service")
    add_module(tree, "chalicelib.realtime.repository", "from chalicelib.realtime import service\n")
    # When the contracts run; Then capability-layers is broken, naming the import
    code, report = lint_imports(tree)
    assert code != 0
    assert verdicts(report)["capability-layers"] == "BROKEN", report
    assert "chalicelib.realtime.repository -> chalicelib.realtime.service" in report


def test_a_service_importing_pynamodb_breaks_services_speak_domain(tree: Path) -> None:
    # Given realtime's service importing pynamodb directly
    add_module(tree, "chalicelib.realtime.service", "import pynamodb.models\n")
    # When the contracts run; Then services-speak-domain is broken
    code, report = lint_imports(tree)
    assert code != 0
    assert verdicts(report) == dict.fromkeys(CONTRACTS, "KEPT") | {
        "services-speak-domain": "BROKEN"
    }, report


def test_the_real_tree_is_checked_against_every_contract() -> None:
    # When lint-imports runs on the repository; Then it reports on each contract by name
    _, report = lint_imports(ROOT)
    assert set(verdicts(report)) == set(CONTRACTS), report
    # and the capabilities of this module's owner break none of them
    for capability in ("realtime", "eventlog", "media", "platform"):
        assert f"- chalicelib.{capability}." not in report, report
        assert not re.search(rf"chalicelib\.{capability}\S* is not allowed", report), report
