"""Find and load every workflow file; a broken file is reported, never fatal to the others."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import JoblensError
from pipelines.jobs.workflows.spec import WorkflowSpec, load_spec
from pipelines.shipped import shipped_folder

WORKFLOWS_ENV = "JOBLENS_WORKFLOWS"
SHIPPED_WORKFLOWS = shipped_folder("workflows")


@dataclass
class LoadResult:
    """The workflows that loaded, and one message per file that did not."""

    specs: list[WorkflowSpec] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def by_name(self) -> dict[str, WorkflowSpec]:
        return {spec.name: spec for spec in self.specs}


def workflows_dir() -> Path:
    """``$JOBLENS_WORKFLOWS`` when set (read at call time), else the shipped workflows."""
    raw = os.environ.get(WORKFLOWS_ENV)
    return Path(raw).expanduser().absolute() if raw else SHIPPED_WORKFLOWS


def workflow_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_workflows(folder: Path | None = None) -> LoadResult:
    """Every ``*.yaml`` workflow in ``folder``, checked; errors name file, step and field."""
    folder = Path(folder) if folder is not None else workflows_dir()
    result = LoadResult()
    if not folder.is_dir():
        result.errors.append(f"{folder}: workflow folder not found (set {WORKFLOWS_ENV})")
        return result
    seen: dict[str, Path] = {}
    for path in workflow_files(folder):
        try:
            spec = load_spec(path)
        except JoblensError as exc:
            result.errors.append(str(exc))
            continue
        if spec.name in seen:
            result.errors.append(f"{path}: field 'name': workflow {spec.name!r} is already defined in {seen[spec.name]}")
            continue
        seen[spec.name] = path
        result.specs.append(spec)
    return result


def find_workflow(name: str, folder: Path | None = None) -> WorkflowSpec:
    """One workflow by name (``workflow__`` prefix allowed); an unknown name lists the known ones."""
    loaded = load_workflows(folder)
    bare = name.removeprefix("workflow__")
    spec = loaded.by_name().get(bare)
    if spec is None:
        broken = [e for e in loaded.errors if f"{bare}." in e.split(":", 1)[0]]
        if broken:
            raise JoblensError(broken[0])
        known = ", ".join(sorted(loaded.by_name())) or "none"
        raise JoblensError(f"unknown workflow {name!r}; workflows are: {known}")
    return spec
