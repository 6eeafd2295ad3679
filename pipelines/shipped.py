"""The folders JobLens ships from the top-level ``data/``: workflow definitions and the knowledge corpus."""

from __future__ import annotations

from pathlib import Path

SHIPPED_PACKAGE = "joblens_data"


def shipped_folder(name: str) -> Path:
    """A folder JobLens ships (``workflows``, ``knowledge``): the installed ``joblens_data.<name>``,
    else the checkout's ``data/<name>`` when JobLens runs from a checkout that is not installed.

    pyproject.toml installs each folder of the top-level ``data/`` as a namespace package. Its
    folder comes from the import spec: ``importlib.resources.files`` fails on a namespace
    package of an editable install, whose search path holds a placeholder that is no folder.
    """
    from importlib.util import find_spec

    try:
        spec = find_spec(f"{SHIPPED_PACKAGE}.{name}")
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return Path(__file__).resolve().parents[1] / "data" / name
    return Path(next(iter(spec.submodule_search_locations)))
