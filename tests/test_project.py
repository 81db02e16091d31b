"""Project runs without tracing: [tool.nanscope] parsing and validation, command line over configuration,
rule selection, the gitignore matcher (and git itself), exclude globs, the TensorFlow import heuristic,
target discovery and exit statuses."""
from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest

from nanscope.analysis.project import (
    Config,
    GitIgnore,
    ProjectError,
    Settings,
    Skipped,
    Target,
    TensorFlowScan,
    code_enabled,
    discover,
    excluded,
    exit_status,
    filter_findings,
    find_project_root,
    load_config,
    merge_settings,
    parse_codes,
    parse_config,
    parse_entry_point,
    split_unbuilt,
)
from nanscope.analysis.report import Finding, Report, Stats

TF_SCRIPT = "import tensorflow as tf\nx = tf.constant(1.0)\n"


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def finding(code: str) -> Finding:
    return Finding(code=code, severity="warning", message="m", op_name=f"op_{code}", op_type="Log",
                   input_range=(0.0, 1.0), location=None)


# -- configuration -----------------------------------------------------------------------------------------

def test_every_key_is_parsed_and_normalised():
    values = parse_config({
        "entry-points": ["train.py", "pkg/model.py:build"], "select": ["NS1"], "ignore": "NS105,NS107",
        "exclude": ["legacy"], "respect-gitignore": False, "format": "sarif", "jobs": 3,
        "ranges": {"x": [0, 1], "logits": "-inf:inf", "w": ["-inf", 2.5]}, "weight-range": "-1:1",
        "timeout": 30, "tensor": "smash", "relations": "none", "split": False, "block-limit": 8,
        "show-safe": True, "statistics": True, "exit-zero": True, "interpreter": "python3", "eps": 1e-6,
    })
    assert values["select"] == ("NS1",) and values["ignore"] == ("NS105", "NS107")
    assert values["ranges"] == {"x": (0.0, 1.0), "logits": (-math.inf, math.inf), "w": (-math.inf, 2.5)}
    assert values["weight-range"] == (-1.0, 1.0) and values["timeout"] == 30.0 and values["jobs"] == 3
    assert values["entry-points"] == ("train.py", "pkg/model.py:build")


@pytest.mark.parametrize("table,message", [
    ({"format": "xml"}, "format: expected one of text, json, sarif, github"),
    ({"jobs": -1}, "jobs: expected an integer >= 0"),
    ({"jobs": True}, "jobs: expected an integer"),
    ({"timeout": 0}, "timeout: expected a positive number"),
    ({"ranges": {"x": [2, 1]}}, "ranges.x: LO must not exceed HI"),
    ({"ranges": {"x": "a:b"}}, "ranges.x: bounds must be numbers"),
    ({"ranges": [0, 1]}, "ranges: expected a table"),
    ({"weight-range": [1]}, "weight-range: expected \"LO:HI\" or [LO, HI]"),
    ({"select": ["NS9"]}, "'NS9' is not a rule code"),
    ({"ignore": [101]}, "ignore: expected a list of strings"),
    ({"split": "no"}, "split: expected true or false"),
    ({"tensor": "cubes"}, "tensor: expected one of partition, smash, expand"),
    ({"block-limit": 0}, "block-limit: expected an integer >= 1"),
    ({"weight_range": "-1:1"}, "unknown key 'weight_range'; did you mean 'weight-range'?"),
    ({"frobnicate": 1}, "unknown key 'frobnicate' (known keys:"),
])
def test_bad_values_name_the_key_and_what_was_expected(table, message):
    with pytest.raises(ProjectError) as error:
        parse_config(table, "pyproject.toml [tool.nanscope]")
    assert message in str(error.value) and str(error.value).startswith("pyproject.toml [tool.nanscope]")


def test_nearest_pyproject_is_the_root_and_its_table_is_read(tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "m"\n\n[tool.nanscope]\nformat = "github"\njobs = 2\n')
    nested = tmp_path / "src" / "models"
    nested.mkdir(parents=True)
    assert find_project_root(nested) == (tmp_path, tmp_path / "pyproject.toml")
    config = load_config(nested)
    assert config.root == tmp_path and config.get("format") == "github" and config.get("jobs") == 2


def test_no_pyproject_falls_back_to_the_git_folder_then_the_start(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "sub").mkdir()
    assert find_project_root(tmp_path / "repo" / "sub") == (tmp_path / "repo", None)
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    root, pyproject = find_project_root(lonely)
    assert pyproject is None and root in (lonely, *lonely.parents)


def test_invalid_toml_and_missing_config_file_are_errors(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.nanscope\n")
    with pytest.raises(ProjectError, match="invalid TOML"):
        load_config(tmp_path)
    with pytest.raises(ProjectError, match="no such configuration file"):
        load_config(config_file=tmp_path / "absent.toml")


def test_explicit_config_file_may_hold_the_table_at_top_level(tmp_path):
    config = load_config(config_file=write(tmp_path / "nanscope.toml", 'select = ["NS101"]\n'))
    assert config.get("select") == ("NS101",) and config.root == tmp_path


def test_command_line_overrides_configuration_and_ranges_merge_per_name(tmp_path):
    config = Config(tmp_path, None, parse_config({"format": "json", "jobs": 4, "split": False, "exit-zero": True,
                                                  "ranges": {"x": [0, 1], "y": [0, 2]}, "select": ["NS1"],
                                                  "interpreter": "venv/bin/python"}))
    settings = merge_settings(config, {"format": "sarif", "jobs": None, "split": None, "exit_zero": None,
                                       "ranges": {"y": (5.0, 6.0)}, "select": None})
    assert settings.format == "sarif" and settings.jobs == 4 and settings.split is False and settings.exit_zero
    assert settings.ranges == {"x": (0.0, 1.0), "y": (5.0, 6.0)}
    assert settings.interpreter == str(tmp_path / "venv/bin/python")
    options = settings.check_options()
    assert options.analysis.split is False and dict(options.ranges) == {"x": (0.0, 1.0), "y": (5.0, 6.0)}
    assert merge_settings(Config(tmp_path), {}).format == "text"
    assert merge_settings(Config(tmp_path), {}).workers >= 1


# -- rule selection ----------------------------------------------------------------------------------------

def test_codes_and_prefixes():
    assert parse_codes(["ns101, NS105", "ALL"], "--select") == ("NS101", "NS105", "NS")
    with pytest.raises(ProjectError, match="'NS2' is not a rule code"):
        parse_codes(["NS2"], "--select")
    assert code_enabled("NS101") and code_enabled("NS105", ("NS1",))
    assert not code_enabled("NS105", ("NS101",))
    assert not code_enabled("NS105", ("NS",), ("NS105",))
    assert code_enabled("NS105", ("NS105",), ("NS1",))          # the more specific prefix wins
    assert not code_enabled("NS105", ("NS1",), ("NS1",))        # a tie goes to ignore


def test_filtering_keeps_other_fields():
    report = Report(source=Path("m.py"), findings=[finding("NS101"), finding("NS105")], stats=Stats(3, 2, 0.1))
    (kept,) = filter_findings([report], ("NS",), ("NS105",))
    assert [f.code for f in kept.findings] == ["NS101"] and kept.stats == report.stats
    assert filter_findings([report], ("NS",), ())[0] is report


# -- gitignore and excludes --------------------------------------------------------------------------------

def matcher(tmp_path: Path, text: str) -> GitIgnore:
    ignore = GitIgnore()
    ignore.add_patterns(text.splitlines(), tmp_path)
    return ignore


@pytest.mark.parametrize("patterns,path,is_dir,expected", [
    ("*.pbtxt", "a/b/model.pbtxt", False, True),
    ("*.pbtxt\n!keep.pbtxt", "a/keep.pbtxt", False, False),
    ("build/", "build", True, True),
    ("build/", "build", False, False),             # a trailing slash matches folders only
    ("/top.py", "top.py", False, True),
    ("/top.py", "sub/top.py", False, False),       # a leading slash anchors to the .gitignore's folder
    ("docs/*.py", "docs/a.py", False, True),
    ("docs/*.py", "docs/x/a.py", False, False),    # `*` does not cross `/`
    ("docs/**/a.py", "docs/x/y/a.py", False, True),
    ("**/cache", "deep/er/cache", True, True),
    ("logs/**", "logs/x/y.txt", False, True),
    ("data?.py", "data1.py", False, True),
    ("data[0-9].py", "data7.py", False, True),
    ("data[!0-9].py", "data7.py", False, False),
    ("# comment\n\n", "comment", False, False),
    ("\\#hash.py", "#hash.py", False, True),
])
def test_gitignore_patterns(tmp_path, patterns, path, is_dir, expected):
    assert matcher(tmp_path, patterns).ignored(tmp_path / path, is_dir) is expected


def test_nested_gitignore_applies_below_its_folder_only(tmp_path):
    ignore = GitIgnore()
    write(tmp_path / ".gitignore", "*.log\n")
    write(tmp_path / "sub" / ".gitignore", "local.py\n!keep.log\n")
    ignore.load_for(tmp_path / "sub", tmp_path)
    assert ignore.ignored(tmp_path / "sub" / "local.py", False)
    assert not ignore.ignored(tmp_path / "local.py", False)
    assert ignore.ignored(tmp_path / "a.log", False) and not ignore.ignored(tmp_path / "sub" / "keep.log", False)


@pytest.mark.parametrize("patterns,path,expected", [
    (["legacy"], "legacy/old.py", True),
    (["legacy"], "src/legacy/old.py", True),      # no slash: any path component
    (["*_test.py"], "src/model_test.py", True),
    (["src/legacy"], "src/legacy/old.py", True),  # with a slash: relative to the root, or a folder above
    (["src/legacy"], "other/src/legacy/old.py", False),
    (["./src/*.py"], "src/a.py", True),
    (["models/"], "models/a.py", True),
    (["nothing"], "src/a.py", False),
])
def test_exclude_globs(tmp_path, patterns, path, expected):
    assert excluded(tmp_path / path, tmp_path, patterns) is expected


# -- the TensorFlow heuristic ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("import tensorflow as tf\n", True),
    ("import numpy as np, tensorflow as tf\n", True),
    ("from tensorflow import keras\n", True),
    ("import keras\n", True),
    ("    import tensorflow.compat.v1 as tf\n", True),
    ("import numpy as np\n", False),
    ("# import tensorflow\nprint('no')\n", False),
    ("x = 'import mytensorflowish'\n", False),
])
def test_direct_imports(tmp_path, text, expected):
    assert TensorFlowScan([tmp_path]).imports_tensorflow(write(tmp_path / "m.py", text)) is expected


def test_imports_through_project_modules_count(tmp_path):
    write(tmp_path / "pkg" / "__init__.py")
    write(tmp_path / "pkg" / "layers.py", "import tensorflow as tf\n")
    write(tmp_path / "pkg" / "model.py", "from . import layers\n")
    write(tmp_path / "pkg" / "util.py", "import json\n")
    write(tmp_path / "train.py", "from pkg.model import build\nbuild()\n")
    write(tmp_path / "tool.py", "import pkg.util\n")
    write(tmp_path / "broken.py", "def (:\n")
    scan = TensorFlowScan([tmp_path])
    assert scan.imports_tensorflow(tmp_path / "train.py") and scan.imports_tensorflow(tmp_path / "pkg" / "model.py")
    assert not scan.imports_tensorflow(tmp_path / "tool.py")
    assert not scan.imports_tensorflow(tmp_path / "broken.py")


# -- discovery ---------------------------------------------------------------------------------------------

def project(tmp_path: Path) -> Path:
    write(tmp_path / "train.py", TF_SCRIPT)
    write(tmp_path / "models" / "net.py", TF_SCRIPT)
    write(tmp_path / "models" / "graph.pbtxt", "")
    write(tmp_path / "setup.py", "from setuptools import setup\nsetup()\n")
    write(tmp_path / "scratch" / "try.py", TF_SCRIPT)
    write(tmp_path / "legacy" / "old.py", TF_SCRIPT)
    write(tmp_path / ".venv" / "lib" / "tf.py", TF_SCRIPT)
    write(tmp_path / "build" / "gen.py", TF_SCRIPT)
    write(tmp_path / "notes.txt", "import tensorflow\n")
    write(tmp_path / ".gitignore", "scratch/\n")
    return tmp_path


def names(targets, root):
    return [t.path.relative_to(root).as_posix() for t in targets]


def test_project_discovery_without_git(tmp_path):
    root = project(tmp_path)
    targets, skipped = discover(Settings(root=root, exclude=("legacy",)))
    assert names(targets, root) == ["models/graph.pbtxt", "models/net.py", "train.py"]
    assert not any(t.strict for t in targets) and skipped == []
    targets, _ = discover(Settings(root=root, respect_gitignore=False))
    assert "scratch/try.py" in names(targets, root) and "legacy/old.py" in names(targets, root)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_project_discovery_with_git_uses_its_ignore_rules(tmp_path):
    root = project(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    write(root / ".git" / "info" / "exclude", "models/net.py\n")
    targets, _ = discover(Settings(root=root))
    assert names(targets, root) == ["legacy/old.py", "models/graph.pbtxt", "train.py"]


def test_entry_points_are_checked_as_given_and_strictly(tmp_path):
    root = project(tmp_path)
    targets, _ = discover(Settings(root=root, entry_points=("train.py", "models/net.py:build")))
    assert [str(t) for t in targets] == [str(root / "train.py"), f"{root / 'models' / 'net.py'}:build"]
    assert all(t.strict for t in targets)
    with pytest.raises(ProjectError, match="is not a file"):
        parse_entry_point("absent.py", root)
    with pytest.raises(ProjectError, match="only a .py file can name a function"):
        parse_entry_point("models/graph.pbtxt:f", root)


def test_explicit_paths_keep_their_order_folders_expand_sorted(tmp_path):
    root = project(tmp_path)
    settings = Settings(root=root, paths=(root / "train.py", root / "models", root / "setup.py", root / "train.py"))
    targets, skipped = discover(settings)
    assert names(targets, root) == ["train.py", "models/graph.pbtxt", "models/net.py"]
    assert [t.strict for t in targets] == [True, False, False]
    assert skipped == [Skipped(root / "setup.py", "does not import tensorflow or keras", explicit=True)]
    with pytest.raises(ProjectError, match="no such file"):
        discover(Settings(root=root, paths=(root / "absent.py",)))
    with pytest.raises(ProjectError, match="expected a .py script"):
        discover(Settings(root=root, paths=(root / "notes.txt",)))
    targets, skipped = discover(Settings(root=root, paths=(root / "legacy" / "old.py",), exclude=("legacy",)))
    assert targets == [] and skipped[0].reason == "excluded"


def test_searched_files_that_build_nothing_are_skipped_named_ones_are_not(tmp_path):
    strict, found = Target(tmp_path / "a.py"), Target(tmp_path / "lib.py", strict=False)
    failed = Report(source=found.path, errors=["tracing lib.py failed: Traceback\nImportError: relative"])
    kept, skipped = split_unbuilt([strict, found], [Report(source=strict.path, errors=["boom"]), failed])
    assert [r.source for r in kept] == [strict.path]
    assert skipped == [Skipped(found.path, "built no graph: ImportError: relative")]
    assert exit_status(kept) == 2


def test_exit_status():
    clean = Report(source=Path("a.py"), stats=Stats(5, 1, 0.1))
    found = Report(source=Path("b.py"), findings=[finding("NS101")], stats=Stats(5, 1, 0.1))
    partial = Report(source=Path("c.py"), errors=["failed halfway"], stats=Stats(5, 1, 0.1))
    assert exit_status([clean]) == 0 and exit_status([clean, partial]) == 0
    assert exit_status([clean, found]) == 1 and exit_status([found], exit_zero=True) == 0
    assert exit_status([found, Report(source=Path("d.py"), errors=["x"])], exit_zero=True) == 2


def test_language_server_keys_are_accepted_and_its_spellings_understood():
    values = parse_config({"trusted": False, "severity": {"NS101": "error"}, "log-level": "debug",
                           "entryPoints": ["a.py"], "trace-timeout": 10, "rulesUrl": "https://example.org/rules/"})
    assert values == {"entry-points": ("a.py",), "timeout": 10.0, "rules-url": "https://example.org/rules/"}
    with pytest.raises(ProjectError, match="'timeout' and 'traceTimeout' set the same thing"):
        parse_config({"timeout": 5, "traceTimeout": 10})


def test_function_entry_points_go_through_their_function_and_scripts_run_as_scripts(tmp_path, monkeypatch):
    from nanscope.analysis import api, project

    script = write(tmp_path / "model.py", TF_SCRIPT)
    monkeypatch.setattr(project, "check_file", lambda path, options: Report(source=path, notes=["script"]))
    monkeypatch.setattr(api, "check_entry_point", lambda path, function, options: Report(source=path, notes=[function]))
    assert project.check_target(Target(script, "build"), options=None).notes == ["build"]
    reports = project.check_targets([Target(script), Target(script, "build")], options=None, jobs=2)
    assert [r.notes for r in reports] == [["script"], ["build"]]
