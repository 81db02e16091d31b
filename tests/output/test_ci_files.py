"""The pre-commit hook definition and the GitHub Actions snippet of docs/ci.md say what they must."""
from __future__ import annotations

import re

import yaml
from output_helpers import ROOT


def test_pre_commit_hook():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "nanscope" and hook["entry"] == "nanscope check" and hook["language"] == "python"
    assert hook["types"] == ["python"] and hook["pass_filenames"] is True and hook["require_serial"] is False


def test_github_actions_snippet():
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)]
    workflow = next(block for block in blocks if isinstance(block, dict) and "jobs" in block)
    steps = workflow["jobs"]["nanscope"]["steps"]
    uses = [step.get("uses", "") for step in steps]
    runs = [step.get("run", "") for step in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(r.startswith("pip install") for r in runs)
    assert "nanscope check --format github" in runs
    sarif_run = next(r for r in runs if "--format sarif" in r)
    upload = next(step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] in sarif_run
    assert workflow["permissions"]["security-events"] == "write"
