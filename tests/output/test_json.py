"""The JSON format is the version-1 contract, byte for byte: the same document as the walking skeleton's
`to_json` (kept below as the reference), whatever else the command line learnt. Keys added since appear only
when asked for (`statistics`) or when they have content (`skipped`)."""
from __future__ import annotations

import json
import math
from pathlib import Path

from output_helpers import GRAPHS, located_report

from nanscope.analysis.api import CheckOptions, check_file
from nanscope.analysis.output.json import to_json


def _reference_path(path):
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _reference_bound(value):
    return ("inf" if value > 0 else "-inf") if math.isinf(value) else value


def reference_to_json(reports):
    """The contract's original implementation (analysis/cli.py before the output package), plus the
    `suppressed` count that suppression comments added."""
    def finding_json(report, finding):
        location = finding.location
        span = location.span if location else None
        return {
            "path": _reference_path(location.path if location else report.source),
            "line": span.line if span else None, "column": span.column + 1 if span else None,
            "end_line": span.end_line if span else None, "end_column": span.end_column + 1 if span else None,
            "code": finding.code, "severity": finding.severity, "message": finding.message,
            "op_name": finding.op_name, "op_type": finding.op_type,
            "input_range": [_reference_bound(finding.input_range[0]), _reference_bound(finding.input_range[1])],
            "gradient_of": finding.gradient_of,
            "assumptions": [{"name": a.name, "kind": a.kind,
                             "range": [_reference_bound(a.range[0]), _reference_bound(a.range[1])],
                             "origin": a.origin, "path": _reference_path(a.location.path) if a.location else None,
                             "line": a.location.span.line if a.location else None} for a in finding.assumptions],
        }
    return {
        "version": 1,
        "findings": [finding_json(r, f) for r in reports for f in r.findings],
        "proven_safe": [{"op_name": s.op_name, "op_type": s.op_type,
                         "path": _reference_path(s.location.path if s.location else r.source),
                         "line": s.location.span.line if s.location else None}
                        for r in reports for s in r.proven_safe],
        "stats": {"ops": sum(r.stats.ops for r in reports), "unsafe_ops": sum(r.stats.unsafe_ops for r in reports),
                  "seconds": round(sum(r.stats.seconds for r in reports), 3),
                  "unsupported_ops": sorted({op for r in reports for op in r.unsupported_ops})},
        "errors": [f"{_reference_path(r.source)}: {e}" for r in reports for e in r.errors],
        "notes": [f"{_reference_path(r.source)}: {n}" for r in reports for n in r.notes],
        "suppressed": sum(r.suppressed for r in reports),
    }


def _without_seconds(text: str) -> str:
    payload = json.loads(text)
    payload["stats"]["seconds"] = 0
    return json.dumps(payload, indent=2)


def test_same_bytes_as_the_reference_for_located_findings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = located_report(tmp_path)
    assert json.dumps(to_json([report]), indent=2) == json.dumps(reference_to_json([report]), indent=2)


def test_cli_output_is_the_contract_for_the_corpus(cli, corpus):
    names = sorted(GRAPHS)
    code, out, err = cli("check", "--format", "json", *(f"graphs/{n}" for n in names), cwd=corpus.parent)
    assert code == 1 and err == ""
    reports = [check_file(corpus / name, CheckOptions()) for name in names]
    assert _without_seconds(out) == _without_seconds(json.dumps(reference_to_json(reports), indent=2))
    payload = json.loads(out)
    assert list(payload) == ["version", "findings", "proven_safe", "stats", "errors", "notes", "suppressed"]
    assert {(f["path"], f["code"]) for f in payload["findings"]} == \
        {(f"graphs/{name}", code) for name, codes in GRAPHS.items() for code in codes}


def test_optional_keys_only_when_asked_for_or_filled(cli, corpus):
    (corpus / "helper.py").write_text("import json\n", encoding="utf-8")
    code, out, _ = cli("check", "--format", "json", "--statistics", "graphs/unsafe_ops.pbtxt", "graphs/helper.py",
                       cwd=corpus.parent)
    payload = json.loads(out)
    assert code == 1
    assert payload["skipped"] == [{"path": "graphs/helper.py", "reason": "does not import tensorflow or keras"}]
    statistics = payload["statistics"]
    assert statistics["codes"] == {"NS103": 1, "NS105": 1, "NS107": 1}
    assert (statistics["unsafe_ops"], statistics["warnings"], statistics["proven_safe"]) == (3, 3, 0)
    assert statistics["files"] == 1 and statistics["skipped_files"] == 1
