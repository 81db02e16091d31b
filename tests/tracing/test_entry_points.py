"""entry_points_for: which entry points a saved file re-traces ([tool.nanscope] entry-points); no TensorFlow."""
from __future__ import annotations

from pathlib import Path

import pytest

from nanscope.analysis.tracing import EntryPoint
from nanscope.analysis.tracing.entry_points import (
    configured_entry_points,
    entry_points_for,
    import_root,
    parse_entry_point,
)


def make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


PROJECT = {
    "pyproject.toml": '[tool.nanscope]\nentry-points = ["train.py", "pkg/model.py:build_model", "bad entry"]\n',
    "train.py": "import helpers\nfrom pkg import losses\n",
    "helpers.py": "",
    "pkg/__init__.py": "",
    "pkg/model.py": "from .blocks import Block\nfrom . import losses\n",
    "pkg/blocks.py": "import keras\n",
    "pkg/losses.py": "",
    "pkg/unused.py": "",
    "scratch.py": "import helpers\n",
}


@pytest.fixture
def project(tmp_path):
    make(tmp_path, PROJECT)
    return tmp_path.resolve()


def test_configured_entry_points(project):
    assert configured_entry_points(project) == [EntryPoint(project / "train.py"),
                                                EntryPoint(project / "pkg" / "model.py", "build_model")]


def test_an_entry_point_file_traces_its_own_entries(project):
    assert entry_points_for(project / "train.py", project) == [EntryPoint(project / "train.py")]
    assert entry_points_for(project / "pkg/model.py", project) == [
        EntryPoint(project / "pkg" / "model.py", "build_model")]


def test_an_imported_module_re_traces_the_entry_points_that_import_it(project):
    train = EntryPoint(project / "train.py")
    build = EntryPoint(project / "pkg" / "model.py", "build_model")
    assert entry_points_for(project / "helpers.py", project) == [train]
    assert entry_points_for(project / "pkg" / "losses.py", project) == [train, build]
    assert entry_points_for(project / "pkg" / "blocks.py", project) == [build]
    assert entry_points_for(project / "pkg" / "__init__.py", project) == [train, build]


def test_a_file_no_entry_point_reaches_runs_as_a_script(project):
    assert entry_points_for(project / "scratch.py", project) == [EntryPoint(project / "scratch.py")]
    assert entry_points_for(project / "pkg" / "unused.py", project) == [
        EntryPoint(project / "pkg" / "unused.py")]


def test_imports_recorded_by_earlier_traces_count_too(project):
    train = EntryPoint(project / "train.py")
    imported = {project / "train.py": [project / "pkg" / "unused.py"]}
    assert entry_points_for(project / "pkg" / "unused.py", project, imported) == [train]


def test_without_configuration_the_saved_file_is_the_script(tmp_path):
    make(tmp_path, {"a.py": "import b\n", "b.py": ""})
    assert entry_points_for(tmp_path / "b.py", tmp_path) == [EntryPoint((tmp_path / "b.py").resolve())]
    make(tmp_path, {"pyproject.toml": "[tool.nanscope\nbroken"})
    assert entry_points_for(tmp_path / "b.py", tmp_path) == [EntryPoint((tmp_path / "b.py").resolve())]


@pytest.mark.parametrize("text, expected", [
    ("train.py", ("train.py", None)),
    ("pkg/model.py:build_model", ("pkg/model.py", "build_model")),
    ("model.py:not-a-name", None),
    ("README.md", None),
])
def test_parse_entry_point(tmp_path, text, expected):
    entry = parse_entry_point(text, tmp_path)
    if expected is None:
        assert entry is None
    else:
        assert entry == EntryPoint((tmp_path / expected[0]).resolve(), expected[1])


def test_import_root_skips_packages(project):
    assert import_root(project / "pkg" / "model.py") == project
    assert import_root(project / "train.py") == project
