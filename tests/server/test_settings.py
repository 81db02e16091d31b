"""Unit tests of nanscope.server.settings: typed settings, bad value -> default + a problem naming the key,
and the layering of the client's settings and the project's pyproject.toml."""
from __future__ import annotations

import math
import sys

from nanscope.server.settings import DEFAULT_TRACE_TIMEOUT, Settings, SettingsStore, parse_settings


def test_nothing_sent_means_defaults_and_trusted():
    for raw in (None, {}):
        settings, problems = parse_settings(raw)
        assert settings == Settings()
        assert settings.trusted is True
        assert problems == []


def test_good_values():
    settings, problems = parse_settings({
        "trusted": False,
        "interpreter": sys.executable,
        "ranges": {"x": [0, 1], "W": [-1.5, 1.5]},
        "traceTimeout": 30,
    })
    assert problems == []
    assert settings.trusted is False
    assert settings.interpreter is not None
    assert dict(settings.ranges) == {"x": (0.0, 1.0), "W": (-1.5, 1.5)}
    assert settings.trace_timeout == 30.0


def test_bad_values_fall_back_to_defaults_and_name_the_key():
    settings, problems = parse_settings({
        "trusted": "yes",
        "interpreter": "/no/such/python",
        "ranges": {"x": [2, 1], "y": "wide", "z": [0, True], "ok": [0, 1]},
        "traceTimeout": -5,
        "colour": "blue",
    })
    assert settings.trusted is True
    assert settings.interpreter is None
    assert dict(settings.ranges) == {"ok": (0.0, 1.0)}
    assert settings.trace_timeout == DEFAULT_TRACE_TIMEOUT
    keys = [problem.split(":", 1)[0] for problem in problems]
    assert keys == ["trusted", "interpreter", "ranges.x", "ranges.y", "ranges.z", "traceTimeout", "colour"]


def test_wrong_shapes():
    settings, problems = parse_settings(["not", "an", "object"])
    assert settings == Settings() and len(problems) == 1
    settings, problems = parse_settings({"ranges": [1, 2], "traceTimeout": float("inf")})
    assert dict(settings.ranges) == {} and settings.trace_timeout == DEFAULT_TRACE_TIMEOUT
    assert [p.split(":", 1)[0] for p in problems] == ["ranges", "traceTimeout"]


def test_every_key_the_vscode_extension_sends():
    settings, problems = parse_settings({
        "trusted": True, "interpreter": "", "entryPoints": ["train.py", "pkg/model.py:build"],
        "ranges": {"x": [0, "inf"], "W": ["-inf", 1]}, "traceTimeout": 60, "eps": 1e-6,
        "severity": {"ns101": "Error", "NS103": "info", "NS105": "off"}, "tensor": "smash",
        "relations": "none", "split": False, "logLevel": "debug",
    })
    assert problems == []
    assert settings.interpreter is None                   # "" means the default
    assert settings.entry_points == ("train.py", "pkg/model.py:build")
    assert dict(settings.ranges) == {"x": (0.0, math.inf), "W": (-math.inf, 1.0)}
    assert settings.trace_timeout == 60.0 and settings.eps == 1e-6
    assert dict(settings.severity) == {"NS101": "error", "NS103": "information", "NS105": "off"}
    assert (settings.tensor, settings.relations, settings.split, settings.log_level) == ("smash", False, False,
                                                                                        "debug")


def test_bad_new_keys_name_the_key():
    settings, problems = parse_settings({
        "entryPoints": 3, "eps": 2, "severity": {"NS101": "loud", "E501": "error"}, "tensor": "cube",
        "relations": "some", "split": "yes", "logLevel": "chatty", "rulesUrl": "docs",
    })
    assert settings == Settings()
    keys = [problem.key for problem in problems]
    assert keys == ["entryPoints", "eps", "severity.NS101", "severity.E501", "tensor", "relations", "split",
                    "logLevel", "rulesUrl"]
    assert all(problem.startswith(key + ":") for key, problem in zip(keys, problems))


def test_pyproject_wins_over_the_client_and_ranges_merge(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nanscope]\n"
        'entry-points = ["train.py"]\n'
        "timeout = 30\n"
        'log-level = "info"\n'
        "ranges = { x = [0, 1] }\n"
        'severity = { NS101 = "error" }\n'
        'checked = "by another tool"\n', encoding="utf-8")
    store = SettingsStore()
    assert store.set_initial({"traceTimeout": 120, "ranges": {"x": [5, 6], "y": [0, 2]},
                              "severity": {"NS102": "hint"}, "trusted": False}) == []
    settings, problems = store.settings_for(tmp_path)
    assert settings.entry_points == ("train.py",) and settings.trace_timeout == 30.0
    assert settings.log_level == "info" and settings.trusted is False
    assert dict(settings.ranges) == {"x": (0.0, 1.0), "y": (0.0, 2.0)}
    assert dict(settings.severity) == {"NS101": "error", "NS102": "hint"}
    assert [problem.key for problem in problems] == ["checked"]
    assert "unknown key" in problems[0]
    assert store.settings_for(tmp_path)[1] == []           # read once; again only when it changes


def test_pyproject_interpreter_is_relative_to_the_project_and_trusted_is_refused(tmp_path):
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text("#!/bin/sh\n", encoding="utf-8")
    python.chmod(0o755)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nanscope]\ninterpreter = ".venv/bin/python"\ntrusted = true\n', encoding="utf-8")
    store = SettingsStore()
    store.set_initial({"trusted": False})
    settings, problems = store.settings_for(tmp_path)
    assert settings.interpreter == str(python) and settings.trusted is False
    assert [problem.key for problem in problems] == ["trusted"]


def test_broken_pyproject_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.nanscope\n", encoding="utf-8")
    settings, problems = SettingsStore().settings_for(tmp_path)
    assert settings == Settings() and len(problems) == 1 and "pyproject.toml" in problems[0]


def test_did_change_configuration_layer():
    store = SettingsStore()
    store.set_initial({"interpreter": sys.executable, "trusted": False, "traceTimeout": 10})
    assert store.set_changed({}) == [] and store.set_changed(None) == []   # nothing sent: nothing changes
    assert store.set_changed({"traceTimeout": 20}) == []
    settings, _ = store.settings_for(None)
    assert settings.trace_timeout == 20.0 and settings.trusted is False and settings.interpreter is not None
    store.set_changed({"trusted": True})                                    # replaces the previous change
    settings, _ = store.settings_for(None)
    assert settings.trusted is True and settings.trace_timeout == 10.0


def test_pyproject_is_read_as_the_command_line_reads_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nanscope]\n"
        'exclude = ["legacy"]\njobs = 4\nformat = "sarif"\n'        # the command line's own: skipped quietly
        'select = ["NS1"]\nignore = ["NS104"]\n'
        'ranges = { x = "0:1" }\nweight-range = "-1:1"\nblock-limit = 16\n'
        'relations = "none"\neps = { float16 = 1e-4 }\n'
        'tensor = "cube"\n', encoding="utf-8")
    settings, problems = SettingsStore().settings_for(tmp_path)
    assert [problem.key for problem in problems] == ["tensor"]
    assert "expected one of partition, smash, expand" in problems[0]
    assert settings.select == ("NS1",) and settings.ignore == ("NS104",)
    assert settings.shows("NS101") and not settings.shows("NS104") and not settings.shows("NS201")
    assert dict(settings.ranges) == {"x": (0.0, 1.0)} and settings.weight_range == (-1.0, 1.0)
    assert settings.block_limit == 16 and settings.relations is False and settings.tensor == "partition"
    assert settings.eps == {"float16": 1e-4}


def test_a_null_eps_from_the_client_means_the_default_per_dtype(tmp_path):
    store = SettingsStore()
    assert store.set_initial({"eps": None}) == []
    assert store.settings_for(tmp_path)[0].eps is None
    assert store.set_initial({"eps": 1e-6}) == []
    assert store.settings_for(tmp_path)[0].eps == 1e-6
