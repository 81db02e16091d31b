"""SARIF 2.1.0: the log validates against the OASIS schema (vendored in data/, see data/README.md), and a
SARIF consumer from PyPI (sarif-tools) reads back the same findings, rules, locations and fixes."""
from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from output_helpers import DATA, EXAMPLES, GRAPHS, located_report, run_of
from sarif import loader

from nanscope.analysis.checks import SPECS
from nanscope.analysis.fixes.model import Fix, TextEdit
from nanscope.analysis.output import Run, sarif
from nanscope.analysis.report import Report, Span

SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate(log: dict) -> None:
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def read_back(log: dict, folder: Path):
    path = folder / "nanscope.sarif"
    path.write_text(json.dumps(log), encoding="utf-8")
    return loader.load_sarif_file(str(path))


def test_schema_is_the_oasis_one():
    assert SCHEMA["id"].endswith("/sarif-schema-2.1.0.json") and "Version 2.1.0" in SCHEMA["title"]
    with pytest.raises(AssertionError):
        validate({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})    # the schema does bite


def test_corpus_log_validates_and_reads_back(cli, corpus, tmp_path):
    project = corpus.parent
    (project / "pyproject.toml").write_text('[tool.nanscope]\nformat = "sarif"\n', encoding="utf-8")
    code, out, err = cli("check", "--output-file", tmp_path / "out.sarif", "graphs", cwd=project)
    assert code == 1 and out == ""
    log = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    validate(log)
    (run,) = log["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [spec.code for spec in SPECS]
    for rule in rules:
        assert rule["helpUri"] == f"docs/rules/{rule['id']}.md"
        assert (Path(__file__).resolve().parents[2] / rule["helpUri"]).is_file()
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["name"]
        assert rule["defaultConfiguration"]["level"] == "warning"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] and result["level"] == "warning"
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%" and location["uri"].startswith("graphs/")
        assert "fixes" not in result                  # graph files have no source to edit
    expected = {(f"graphs/{name}", code) for name, codes in GRAPHS.items() for code in codes}
    consumed = read_back(log, tmp_path)
    assert {(r["Location"], r["Code"]) for r in consumed.get_records()} == expected
    assert consumed.get_result_count() == len(expected)
    assert consumed.get_distinct_tool_names() == ["nanscope"]
    assert consumed.get_rules_by_id("NS105")[0]["name"] == "division-by-zero"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert run["invocations"][0]["executionSuccessful"] and any("no transformer" in n["message"]["text"]
                                                                for n in notes)


def test_regions_fixes_and_outside_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "repo"
    root.mkdir()
    report = located_report(root)
    division = report.findings[0]
    preferred = Fix("Guard the division", "NS105", "divide-no-nan", report.source,
                    (TextEdit(Span(5, 23, 5, 28), "tf.math.divide_no_nan(x, d)"),), proven=True, preferred=True,
                    op_name="truediv")
    other = Fix("Add eps", "NS105", "add-eps", report.source, (TextEdit(Span(5, 27, 5, 28), "(d + 1e-7)"),),
                proven=True, op_name="truediv")
    unproven = Fix("Maybe", "NS105", "x", report.source, (TextEdit(Span(5, 23, 5, 28), "y"),), proven=False,
                   op_name="truediv")
    outside = Report(source=tmp_path / "elsewhere.pbtxt", findings=[division.__class__(
        "NS103", "warning", "Exp may overflow", "grow", "Exp", (0.0, 1e9), None)], errors=["half failed"])
    broken = Report(source=root / "broken.py", errors=["tracing broken.py failed: SyntaxError"])
    out = io.StringIO()
    sarif.write(run_of(report, outside, broken, root=root), out, io.StringIO(), statistics=True,
                fixes=lambda r: [other, unproven, preferred] if r is report else [])
    log = json.loads(out.getvalue())
    validate(log)
    (run,) = log["runs"]
    first, second, third = run["results"]
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "model.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 5, "startColumn": 24, "endLine": 5, "endColumn": 29}}
    assert first["message"]["text"] == "RealDiv input may be = 0, 100% sure: a, b [op truediv]"
    assert first["properties"]["inputRange"] == ["-inf", "inf"] and first["properties"]["assumptions"][0]["name"] == "x"
    assert [f["description"]["text"].split(" (")[0] for f in first["fixes"]] == ["Guard the division", "Add eps"]
    change = first["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "model.py"
    assert change["replacements"] == [{"deletedRegion": {"startLine": 5, "startColumn": 24, "endLine": 5,
                                                         "endColumn": 29},
                                       "insertedContent": {"text": "tf.math.divide_no_nan(x, d)"}}]
    assert second["locations"][0]["physicalLocation"]["region"]["endLine"] == 7 and "fixes" not in second
    assert third["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": (tmp_path / "elsewhere.pbtxt").as_uri()}}
    assert first["partialFingerprints"] != second["partialFingerprints"]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert {n["level"] for n in invocation["toolExecutionNotifications"]} == {"error", "note"}
    assert run["properties"]["statistics"]["warnings"] == 3
    assert run["tool"]["driver"]["rules"][0]["helpUri"] == "docs/rules/NS101.md"
    out = io.StringIO()
    sarif.write(Run([report], root=root, rules_url="https://example.org/rules/"),
                out, io.StringIO())
    assert json.loads(out.getvalue())["runs"][0]["tool"]["driver"]["rules"][4]["helpUri"] == \
        "https://example.org/rules/NS105.md"
    records = read_back(log, tmp_path).get_records()
    assert [(r["Location"], r["Line"], r["Code"]) for r in records][:2] == [("model.py", 5, "NS105"),
                                                                            ("model.py", 6, "NS101")]


@pytest.mark.tensorflow
def test_fixes_of_the_real_engine_for_a_traced_script(cli, tmp_path):
    (tmp_path / "model.py").write_text((EXAMPLES / "mnist_softmax.py").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = cli("check", "--format", "sarif", "model.py", cwd=tmp_path)
    assert code == 1, err
    log = json.loads(out)
    validate(log)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "NS101"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "model.py"
    assert result["fixes"], "the fix engine offers a proven fix for log(softmax)"
    inserted = result["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"]
    assert "tf." in inserted
