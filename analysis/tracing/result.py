"""The records a trace produces: `Frame` (one Python stack frame), `EntryPoint` (what was run),
`RangeAnnotation` (a `# nanscope: range=[lo, hi]` comment on an input's line), `VariableInfo` (a captured
variable of a FuncGraph) and `TraceResult` (one traced entry point).

They are plain immutable values, shared by the runner (which builds them) and the source mapper (which
reads frames). Statuses, one string each:

- "stopped-at-session-run": the script reached its first `Session.run` that is not an initializer; the
  graph is complete.
- "stopped-at-training": the script reached Keras `fit`/`train_on_batch` or a GradientTape's `gradient`;
  the graph holds the forward pass and the loss of the training step.
- "completed": the script ran to its end (or called `sys.exit(0)`) without training.
- "failed": the script raised (or exited with a non-zero code); the graph is what was built until then.
- "timeout": the script neither stopped nor finished in time; its process group was killed.
- "crashed": the tracer process died without writing results (segfault, `os._exit`, interpreter
  that cannot start, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from nanscope.analysis.graph import Graph

STOPPED = "stopped-at-session-run"
STOPPED_AT_TRAINING = "stopped-at-training"
COMPLETED = "completed"
FAILED = "failed"
TIMEOUT = "timeout"
CRASHED = "crashed"
STATUSES = frozenset({STOPPED, STOPPED_AT_TRAINING, COMPLETED, FAILED, TIMEOUT, CRASHED})


@dataclass(frozen=True)
class Frame:
    """One Python frame: absolute real path of the file, 1-based line, function name."""
    filename: str
    lineno: int
    function: str


@dataclass(frozen=True)
class EntryPoint:
    """What to trace: a script run as `__main__`, or (with `function`) a module whose function is called
    with no arguments (`pkg/model.py:build_model` in `[tool.nanscope] entry-points`)."""
    path: Path
    function: str | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.function}" if self.function else str(self.path)


@dataclass(frozen=True)
class RangeAnnotation:
    """`# nanscope: range=[lo, hi]` on the line (1-based) of `path` that created an input."""
    lo: float
    hi: float
    path: Path
    line: int


@dataclass(frozen=True)
class VariableInfo:
    """A variable a FuncGraph captured; the tracer rewrote its capture placeholder into a VarHandleOp."""
    name: str                       # the variable's name (a Keras variable's path, e.g. "sequential/dense/kernel")
    trainable: bool
    dtype: str
    shape: tuple[int | None, ...] | None


@dataclass(frozen=True)
class TraceResult:
    """What tracing one entry point produced.

    `frames` maps op names to the user-code frames that created them, outermost first, in the order the
    ops were created (ops without any user frame are absent); `function_frames` does the same per function
    of the graph's library. `output` is the tail of the script's stdout and stderr. `error_frames` are the
    user-code frames of the exception a failed script raised. `graph_bytes` is the serialized GraphDef that
    `graph` was loaded from (for saving it as a file).

    Ranges: `observed_ranges` are the min/max of the data the script fed at the stopping point (first
    `Session.run` feed, first training batch, a training step's arguments), by input name, with
    `observed_sources` saying where each came from (and whether it was a dataset stand-in's synthetic
    data); `annotated_ranges` come from `# nanscope: range=[lo, hi]` comments on the lines that created
    inputs, with their locations in `range_annotations`.
    """
    graph: Graph | None
    frames: Mapping[str, tuple[Frame, ...]]
    status: str
    error: str | None
    output: str
    seconds: float
    error_frames: tuple[Frame, ...] = ()
    mode: str | None = None                 # "v1" (graph mode with the compat proxy) or "v2"; None if unknown
    tf_version: str | None = None
    graph_bytes: bytes | None = field(default=None, repr=False)
    entry: EntryPoint | None = None
    stop_reason: str | None = None          # "Session.run", "Model.fit", "GradientTape.gradient", ...
    stop_frames: tuple[Frame, ...] = ()     # user frames of the call that stopped the script
    function_frames: Mapping[str, Mapping[str, tuple[Frame, ...]]] = field(default_factory=dict, repr=False)
    variables: Mapping[str, VariableInfo] = field(default_factory=dict)   # by VarHandleOp node name
    observed_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    observed_sources: Mapping[str, str] = field(default_factory=dict)
    annotated_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    range_annotations: Mapping[str, RangeAnnotation] = field(default_factory=dict)
    stand_ins: Mapping[str, str] = field(default_factory=dict)   # what was replaced -> description
    notes: tuple[str, ...] = ()
    imported_files: tuple[Path, ...] = ()   # project files the run imported (the entry file excluded)
    redirected_writes: tuple[tuple[str, str], ...] = ()   # (operation, path) writes into the project skipped

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown trace status {self.status!r}")
        for name in ("frames", "function_frames", "variables", "observed_ranges", "observed_sources",
                     "annotated_ranges", "range_annotations", "stand_ins"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    @property
    def stopped(self) -> bool:
        """The script reached the point where training would start (the graph is complete)."""
        return self.status in (STOPPED, STOPPED_AT_TRAINING)

    @property
    def failure_message(self) -> str | None:
        """One line for a failed trace: the exception and its message (the last line of `error`)."""
        if self.status not in (FAILED, TIMEOUT, CRASHED) or not self.error:
            return None
        lines = [line for line in self.error.splitlines() if line.strip()]
        if self.status != FAILED or not lines[0].startswith("Traceback"):
            return lines[0].strip()
        for line in lines[1:]:       # the first line after the indented frames: "ValueError: ..."
            if not line.startswith(" "):
                return line.strip()
        return lines[-1].strip()
