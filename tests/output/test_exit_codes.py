"""Exit codes (0 clean, 1 findings, 2 usage/configuration/internal error or a file not analysable at all),
--exit-zero, --select/--ignore, [tool.nanscope] with the command line on top, and whole-project runs."""
from __future__ import annotations

import json

import pytest

from nanscope.analysis import project


def configure(folder, text):
    (folder / "pyproject.toml").write_text("[tool.nanscope]\n" + text, encoding="utf-8")


def codes_of(out):
    return sorted(f["code"] for f in json.loads(out)["findings"])


def test_clean_findings_and_exit_zero(cli, corpus):
    assert cli("check", "graphs/clean.pbtxt", cwd=corpus.parent)[0] == 0
    assert cli("check", "graphs/unsafe_ops.pbtxt")[0] == 1
    code, out, _ = cli("check", "--exit-zero", "graphs/unsafe_ops.pbtxt")
    assert code == 0 and "3 findings" in out


def test_select_and_ignore_by_code_and_prefix(cli, corpus):
    cli("check", "graphs/clean.pbtxt", cwd=corpus.parent)
    assert codes_of(cli("check", "--format", "json", "--select", "NS105,ns107", "graphs/unsafe_ops.pbtxt")[1]) == \
        ["NS105", "NS107"]
    assert codes_of(cli("check", "--format", "json", "--ignore", "NS10", "--select", "NS103",
                        "graphs/unsafe_ops.pbtxt")[1]) == ["NS103"]
    code, out, _ = cli("check", "--ignore", "NS1", "graphs/unsafe_ops.pbtxt")
    assert code == 0 and "0 findings" in out


@pytest.mark.parametrize("args,message", [
    (["--select", "NS9"], "'NS9' is not a rule code"),
    (["--jobs", "-1"], "--jobs must be 0"),
    (["--timeout", "0"], "--timeout must be a positive number"),
    (["--block-limit", "0"], "--block-limit must be at least 1"),
    (["--format", "xml"], "invalid choice"),
    (["--output-file", "missing/dir/out.sarif"], "--output-file"),
    (["graphs/absent.pbtxt"], "no such file"),
])
def test_usage_errors_exit_2(cli, corpus, args, message):
    code, _, err = cli("check", *args, *([] if "absent" in str(args) else ["graphs/clean.pbtxt"]),
                       cwd=corpus.parent)
    assert code == 2 and message in err


def test_configuration_applies_and_flags_override_it(cli, corpus):
    configure(corpus.parent, 'format = "json"\nselect = ["NS105"]\nexit-zero = true\n')
    code, out, _ = cli("check", "graphs/unsafe_ops.pbtxt", cwd=corpus.parent)
    assert code == 0 and codes_of(out) == ["NS105"]
    code, out, _ = cli("check", "--format", "text", "--select", "NS1", "graphs/unsafe_ops.pbtxt")
    assert code == 0 and "3 findings" in out
    configure(corpus.parent, 'ranges = { x = [0, 1], d = "1:2" }\n')
    assert cli("check", "graphs/unsafe_ops.pbtxt")[0] == 0               # every input bounded away from harm
    assert cli("check", "--range", "d=-1:1", "graphs/unsafe_ops.pbtxt")[0] == 1   # the flag wins for d


@pytest.mark.parametrize("text,message", [
    ('format = "xml"\n', "format: expected one of text, json, sarif, github, got 'xml'"),
    ("jobs = 'many'\n", "jobs: expected an integer >= 0"),
    ("ranges = { x = [3, 1] }\n", "ranges.x: LO must not exceed HI"),
    ("colour = true\n", "unknown key 'colour'"),
    ("select = [\n", "invalid TOML"),
])
def test_bad_configuration_exits_2_with_a_clear_error(cli, corpus, text, message):
    configure(corpus.parent, text)
    code, out, err = cli("check", "graphs/clean.pbtxt", cwd=corpus.parent)
    assert code == 2 and out == ""
    assert err.startswith("nanscope: error: ") and message in err and "pyproject.toml" in err


def test_unanalysable_files_exit_2_when_named_and_are_skipped_when_found(cli, corpus):
    (corpus / "saved_model.pb").write_bytes(b"\xff\xff\xff")
    code, _, err = cli("check", "graphs/saved_model.pb", cwd=corpus.parent)
    assert code == 2 and "not a binary GraphDef" in err
    code, out, err = cli("check", "--verbose", "graphs")
    assert code == 1 and "graphs/saved_model.pb: note: skipped: built no graph" in err
    code, out, err = cli("check", "graphs")
    assert code == 1 and "skipped 1 file found by searching" in err


def test_no_path_checks_the_entry_points_else_the_project(cli, corpus):
    root = corpus.parent
    (root / "tool.py").write_text("print('not a model')\n", encoding="utf-8")
    (root / "ignored").mkdir()
    (root / "ignored" / "g.pbtxt").write_text((corpus / "unsafe_ops.pbtxt").read_text(), encoding="utf-8")
    (root / ".gitignore").write_text("ignored/\n", encoding="utf-8")
    configure(root, 'format = "json"\n')
    code, out, err = cli("check", cwd=root)
    assert code == 1
    paths = sorted({f["path"] for f in json.loads(out)["findings"]})
    assert paths == ["graphs/mnist_softmax.pbtxt", "graphs/unsafe_ops.pbtxt"]
    code, out, _ = cli("check", "--exclude", "unsafe_*")
    assert sorted({f["path"] for f in json.loads(out)["findings"]}) == ["graphs/mnist_softmax.pbtxt"]
    configure(root, 'format = "json"\nentry-points = ["graphs/clean.pbtxt"]\n')
    code, out, _ = cli("check")
    assert code == 0 and json.loads(out)["stats"]["ops"] == 6
    configure(root, 'entry-points = ["graphs/absent.pbtxt"]\n')
    code, _, err = cli("check")
    assert code == 2 and "entry point 'graphs/absent.pbtxt'" in err


def test_an_empty_project_is_clean(cli, tmp_path):
    configure(tmp_path, "")
    code, out, err = cli("check", cwd=tmp_path)
    assert code == 0 and "no model files found" in err


def test_internal_errors_exit_2(cli, corpus, monkeypatch):
    def explode(target, options):
        raise RuntimeError("bug")
    monkeypatch.setattr(project, "check_target", explode)
    code, _, err = cli("check", "-j", "2", "graphs", cwd=corpus.parent)
    assert code == 2 and "RuntimeError: bug" in err and "internal error" in err
