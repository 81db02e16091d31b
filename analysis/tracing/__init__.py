"""Tracing: run a user's model script in their own interpreter, stop it before training, and collect the
computation graph with the Python frames that created every op.

- `runner.trace_script` owns the subprocess (environment, timeout, output capture, cleanup).
- `agent.py` is the script that runs inside the user's interpreter (stdlib and TensorFlow only; never
  imported by nanscope).
- `result` holds the records: `Frame`, `TraceResult` and the status strings.
"""
from nanscope.analysis.tracing.result import (
    COMPLETED,
    CRASHED,
    FAILED,
    STATUSES,
    STOPPED,
    TIMEOUT,
    Frame,
    TraceResult,
)
from nanscope.analysis.tracing.runner import trace_script

__all__ = ["COMPLETED", "CRASHED", "FAILED", "STATUSES", "STOPPED", "TIMEOUT", "Frame", "TraceResult",
           "trace_script"]
