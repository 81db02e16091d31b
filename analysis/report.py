"""What an analysis run produces: findings, proven-safe ops, statistics and errors.

These plain, immutable records are the contract between the engine and its front ends (CLI, language
server). Lines are 1-based; columns are 0-based and count Unicode code points (front ends convert: the CLI
prints 1-based columns, the server converts to UTF-16 code units).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


@dataclass(frozen=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Location:
    path: Path
    span: Span


@dataclass(frozen=True)
class Assumption:
    """A range the analysis assumed for a value it cannot see, and where that value is created."""
    name: str                      # graph name of the placeholder or variable
    kind: str                      # "input" | "weight"
    range: tuple[float, float]
    origin: str                    # why this range: "given range", "weights assumed in [-1, 1]", ...
    location: Location | None


@dataclass(frozen=True)
class Finding:
    code: str                      # stable rule code, e.g. "NS101"
    severity: str                  # "error" | "warning"
    message: str
    op_name: str
    op_type: str
    input_range: tuple[float, float]
    location: Location | None      # None when no frame of the op lies in the project (e.g. a .pb file)
    gradient_of: str | None = None  # forward op name when the failing op belongs to its gradient
    assumptions: tuple[Assumption, ...] = ()   # the input ranges the verdict rests on


@dataclass(frozen=True)
class ProvenSafe:
    op_name: str
    op_type: str
    location: Location | None
    input_range: tuple[float, float] | None = None
    split_on: str | None = None     # proven only by splitting this node's value at 0


@dataclass(frozen=True)
class OpInfo:
    """What the analysis inferred for one op created by project code (for hovers)."""
    op_name: str
    op_type: str
    location: Location
    output_range: tuple[float, float]
    shape: tuple | None
    dtype: str
    verdict: str | None = None      # "unsafe" | "safe" for checked ops, else None


@dataclass(frozen=True)
class Stats:
    ops: int
    unsafe_ops: int        # ops that a check looked at (reported + proven safe)
    seconds: float


@dataclass
class Report:
    """The result of checking one file (a traced script or a saved graph)."""
    source: Path
    findings: list[Finding] = field(default_factory=list)
    proven_safe: list[ProvenSafe] = field(default_factory=list)
    stats: Stats = Stats(0, 0, 0.0)
    errors: list[str] = field(default_factory=list)   # why (part of) the file could not be analysed
    failure: Location | None = None   # where the traced script failed (errors[0] says why), when known
    notes: list[str] = field(default_factory=list)    # e.g. the op types without a transformer
    ops: list[OpInfo] = field(default_factory=list)   # inferred ranges of ops that have a source location
    unsupported_ops: list[str] = field(default_factory=list)   # op types without a transformer
    suppressed: int = 0            # findings silenced by a `# nanscope: ignore[CODE]` comment on their line
    # What the analysis ran on, for fixes that re-analyse (never serialised): the Graph, op name -> Location,
    # and the CheckOptions used.
    graph: Any = field(default=None, repr=False, compare=False)
    locations: Mapping[str, Location] = field(default_factory=dict, repr=False, compare=False)
    options: Any = field(default=None, repr=False, compare=False)
