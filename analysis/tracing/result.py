"""The records a trace produces: `Frame` (one Python stack frame) and `TraceResult` (one traced script).

They are plain immutable values, shared by the runner (which builds them) and the source mapper (which
reads frames). Statuses, one string each:

- "stopped-at-session-run": the script reached its first `Session.run`; the graph is complete.
- "completed": the script ran to its end (or called `sys.exit(0)`) without running a session.
- "failed": the script raised (or exited with a non-zero code); the graph is what was built until then.
- "timeout": the script neither stopped nor finished in time; its process group was killed.
- "crashed": the tracer process died without writing results (segfault, `os._exit`, interpreter
  that cannot start, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from nanscope.analysis.graph import Graph

STOPPED = "stopped-at-session-run"
COMPLETED = "completed"
FAILED = "failed"
TIMEOUT = "timeout"
CRASHED = "crashed"
STATUSES = frozenset({STOPPED, COMPLETED, FAILED, TIMEOUT, CRASHED})


@dataclass(frozen=True)
class Frame:
    """One Python frame: absolute real path of the file, 1-based line, function name."""
    filename: str
    lineno: int
    function: str


@dataclass(frozen=True)
class TraceResult:
    """What tracing one script produced.

    `frames` maps op names to the user-code frames that created them, outermost first, in the order the
    ops were created (ops without any user frame are absent). `output` is the tail of the script's
    stdout and stderr. `error_frames` are the user-code frames of the exception a failed script raised.
    `graph_bytes` is the serialized GraphDef that `graph` was loaded from (for saving it as a file).
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

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown trace status {self.status!r}")
        if not isinstance(self.frames, MappingProxyType):
            object.__setattr__(self, "frames", MappingProxyType(dict(self.frames)))
