"""The wheel ships data/'s workflows and knowledge corpus as ``joblens_data``, and JobLens finds them there.

Both checks run Python with ``-S``: no ``.pth`` file, so not the editable install of this
checkout, and the only JobLens on the path is the one under test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from pipelines.jobs.knowledge.documents import SUFFIXES

ROOT = Path(__file__).resolve().parents[2]
# What setup tools, the VCS and a run leave in a checkout; data/home is JobLens's own home there.
LEFT_OUT = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", "node_modules"}
FOUND = """
import json, pipelines
from pipelines.jobs.knowledge.jobs import SHIPPED_CORPUS
from pipelines.jobs.workflows.loader import SHIPPED_WORKFLOWS, load_workflows
loaded = load_workflows(SHIPPED_WORKFLOWS)
print(json.dumps({"code": pipelines.__file__, "workflows": str(SHIPPED_WORKFLOWS), "corpus": str(SHIPPED_CORPUS),
                  "names": sorted(s.name for s in loaded.specs), "errors": loaded.errors}))
"""


def shipped() -> dict[str, bytes]:
    """What the wheel must hold under joblens_data/: the files of data/workflows and data/knowledge."""
    files = {f"workflows/{p.name}": p for p in (ROOT / "data" / "workflows").iterdir() if p.suffix in (".yaml", ".yml")}
    files |= {f"knowledge/{p.name}": p for p in (ROOT / "data" / "knowledge").iterdir() if p.suffix.lower() in SUFFIXES}
    return {f"joblens_data/{name}": path.read_bytes() for name, path in files.items()}


def checkout_copy(target: Path) -> Path:
    def left_out(folder: str, names: list[str]) -> set[str]:
        home = {"home"} if Path(folder) == ROOT / "data" else set()
        return {n for n in names if n in LEFT_OUT or n.endswith(".egg-info")} | home

    shutil.copytree(ROOT, target, ignore=left_out)
    return target


def found(*path: Path, cwd: Path) -> dict:
    """What JobLens finds when ``path`` (and the installed dependencies) is all Python can import."""
    libraries = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*map(str, path), *sorted(libraries)])}
    result = subprocess.run([sys.executable, "-S", "-c", FOUND], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.slow
def test_the_wheel_ships_the_workflows_and_the_corpus(tmp_path):
    source = checkout_copy(tmp_path / "source")  # the build writes build/ and *.egg-info next to the sources
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp_path)],
                   cwd=tmp_path, check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("joblens-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        data = {name: archive.read(name) for name in names if name.startswith("joblens_data/")}
        archive.extractall(tmp_path / "site")
    expected = shipped()
    assert len(expected) >= 20 and data == expected
    for top in {name.split("/")[0] for name in names} - {"joblens_data"} - {n.split("/")[0] for n in names if ".dist-info/" in n}:
        modules = {str(p.relative_to(source)) for p in (source / top).rglob("*.py") if "__pycache__" not in p.parts}
        assert modules and modules <= names, f"packages missing from pyproject.toml: {sorted(modules - names)[:3]}"

    site = tmp_path / "site"
    seen = found(site, cwd=tmp_path)
    assert Path(seen["code"]).is_relative_to(site)
    assert Path(seen["workflows"]) == site / "joblens_data" / "workflows"
    assert Path(seen["corpus"]) == site / "joblens_data" / "knowledge"
    assert seen["errors"] == [] and seen["names"] == sorted(Path(n).stem for n in expected if "/workflows/" in n)


def test_a_checkout_without_an_install_finds_its_data_folder(tmp_path):
    seen = found(ROOT, cwd=tmp_path)
    assert Path(seen["workflows"]) == ROOT / "data" / "workflows" and Path(seen["corpus"]) == ROOT / "data" / "knowledge"
    assert seen["errors"] == [] and len(seen["names"]) >= 3
