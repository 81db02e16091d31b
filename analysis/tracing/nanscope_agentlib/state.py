"""What happened while tracing: one mutable record per agent process (`STATE`), and the exception that
stops the user's code where training would start."""
from __future__ import annotations

STOPPED_AT_SESSION_RUN = "stopped-at-session-run"
STOPPED_AT_TRAINING = "stopped-at-training"


class StopTracing(BaseException):
    """Raised where training would start. A BaseException, so that a user's `except Exception` cannot
    swallow it.

    `status` is one of the two "stopped-at-..." statuses, `reason` the API that stopped the script
    ("Session.run", "Model.fit", "GradientTape.gradient", ...), `graph` the graph to record (None: the
    agent picks one), `frames` the user frames of the stopping call (outermost first).
    """

    def __init__(self, status, reason, graph=None, frames=(), builder=None):
        super().__init__(f"stopped at {reason}")
        self.status = status
        self.reason = reason
        self.graph = graph
        self.frames = list(frames)
        self.builder = builder      # a callable returning graphs to record, run after the script unwound


class TraceState:
    """Everything the agent's patches learn while the script runs."""

    def __init__(self):
        self.stand_ins = {}          # what was replaced -> one-line description
        self.observed = {}           # input name -> {"range": [lo, hi], "source": str}
        self.notes = []              # things the user should know about the trace
        self.skipped_runs = 0        # Session.run calls of initializers that were skipped
        self.eager_step_graph = None     # (FuncGraph, its as_default context) opened by an eager GradientTape
        self.function_calls = []         # [(tf.function, args, kwargs)] of the calls in progress

    def use_stand_in(self, name, description):
        self.stand_ins.setdefault(name, description)

    def observe(self, name, value_range, source):
        if value_range is not None and name not in self.observed:
            self.observed[name] = {"range": [value_range[0], value_range[1]], "source": source}

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)


STATE = TraceState()


def value_range(value):
    """(min, max) of a numeric array-like as floats, or None (not numeric, empty, or all NaN)."""
    import numpy as np

    if isinstance(value, (str, bytes)):
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if array.dtype.kind not in "biuf" or array.size == 0:
        return None
    if array.dtype.kind == "b":
        array = array.astype(np.int8)
    if array.dtype.kind == "f":
        if np.isnan(array).all():
            return None
        return float(np.nanmin(array)), float(np.nanmax(array))
    return float(array.min()), float(array.max())
