"""trace_script on problems outside the user's model code: no TensorFlow needed (the agent stops early)."""
from __future__ import annotations

import pytest

from nanscope.analysis.tracing import trace_script


def test_missing_script_and_bad_interpreter_do_not_raise(tmp_path):
    missing = trace_script(tmp_path / "nope.py")
    assert missing.status == "failed" and "not a file" in missing.error
    script = tmp_path / "model.py"
    script.write_text("print(1)\n", encoding="utf-8")
    bad = trace_script(script, interpreter=str(tmp_path / "no-python"))
    assert bad.status == "crashed" and "cannot start" in bad.error


def test_interpreter_without_tensorflow_fails_cleanly(tmp_path, monkeypatch):
    script = tmp_path / "model.py"
    script.write_text("print(1)\n", encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "tensorflow.py").write_text("raise ImportError('no TF here')\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(blocker))
    result = trace_script(script)
    assert result.status == "failed"
    assert "TensorFlow cannot be imported" in result.error and "no TF here" in result.error


def test_non_positive_timeout_is_a_programmer_error(tmp_path):
    with pytest.raises(ValueError):
        trace_script(tmp_path / "x.py", timeout=0)
