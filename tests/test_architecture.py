"""The direction of dependencies (pyproject ``[tool.importlinter]``), checked with import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def lint_imports(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    return subprocess.run([exe, "--no-cache", *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    proc = lint_imports()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout
    for contract in ("crawler only gathers", "checks are pure audits", "never imports the testbed", "storage keeps records"):
        assert contract in proc.stdout


def test_the_linter_does_catch_a_broken_contract(tmp_path):
    """A contract the code does break (checks do import artifacts) is reported: the check can fail."""
    config = tmp_path / "broken.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["artifacts", "checks"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "checks without artifacts"\ntype = "forbidden"\n'
        'source_modules = ["checks"]\nforbidden_modules = ["artifacts"]\n',
        encoding="utf-8",
    )
    proc = lint_imports("--config", str(config))
    assert proc.returncode != 0 and "BROKEN" in proc.stdout


def test_the_testbed_is_reached_only_by_the_demo_command():
    product = [p for d in ("artifacts", "checks", "crawler", "storage", "reports", "sveden") for p in (REPO / d).rglob("*.py")] + [REPO / "scheduler.py"]
    users = sorted(str(p.relative_to(REPO)) for p in product if "testbed" in p.read_text(encoding="utf-8").replace("testbed/", ""))
    assert users == ["sveden/cli_demo.py"], users
