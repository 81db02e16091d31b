"""Tracing: run a user's model code in their own interpreter, stop it where training would start, and
collect the computation graph with the Python frames that created every op.

- `runner.trace_script` / `runner.trace_entry_point` own the subprocess (environment, limits, timeout,
  output capture, cleanup); `worker.TraceWorker` does the same from a long-lived TensorFlow process.
- `agent.py` is the script that runs inside the user's interpreter (stdlib, NumPy and TensorFlow only;
  never imported by nanscope at run time), with its helpers in `nanscope_agentlib/`.
- `entry_points.entry_points_for` says which entry points to trace for a saved file.
- `result` holds the records: `Frame`, `EntryPoint`, `TraceResult` and the status strings.
"""
from nanscope.analysis.tracing.result import (
    COMPLETED,
    CRASHED,
    FAILED,
    STATUSES,
    STOPPED,
    STOPPED_AT_TRAINING,
    TIMEOUT,
    EntryPoint,
    Frame,
    RangeAnnotation,
    TraceResult,
    VariableInfo,
)
from nanscope.analysis.tracing.runner import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_TIMEOUT,
    trace_entry_point,
    trace_script,
)

__all__ = ["COMPLETED", "CRASHED", "DEFAULT_MEMORY_LIMIT_MB", "DEFAULT_TIMEOUT", "FAILED", "STATUSES", "STOPPED",
           "STOPPED_AT_TRAINING", "TIMEOUT", "EntryPoint", "Frame", "RangeAnnotation", "TraceResult",
           "VariableInfo", "trace_entry_point", "trace_script"]
