"""Unsafe-op checks: which ops can produce NaN or Inf, on which input, and for which input ranges.

Each `UnsafeOpSpec` names the op types it covers, the input it inspects, a stable rule code and the danger
zone as a predicate over the input interval and dtype (thresholds come from the dtype, never a fixed type).
Every op a spec covers is either reported (its input range reaches the danger zone) or proven safe.

It also owns the suppression comments: a finding whose source line carries `# nanscope: ignore[NS101]`
(or a bare `# nanscope: ignore`, for every code) is silenced (the facade drops it and counts it).
"""
from __future__ import annotations

import io
import math
import re
import tokenize
from dataclasses import dataclass
from typing import Callable, Mapping

from nanscope.analysis.domain.dtypes import DType
from nanscope.analysis.domain.interval import Interval, format_bound
from nanscope.analysis.graph.ir import Graph, Node
from nanscope.analysis.interpreter import Environment


@dataclass(frozen=True)
class UnsafeOpSpec:
    code: str
    op_types: tuple[str, ...]
    input_index: int
    danger: Callable[[Interval, DType], bool]
    hazard: str          # what goes wrong, for the message: "log(0) = -inf"
    zone: str            # the danger zone in words: "<= 0"
    title: str           # short rule name
    # A check that also depends on a second input (Pow's exponent): `danger` is then the coarse test on
    # `input_index` alone (true whenever the joint test may be) and `joint(x, other, dtype)` the precise one.
    joint: Callable[[Interval, Interval, DType], bool] | None = None
    other_index: int = 1


def _below_normal(x: Interval, dtype: DType) -> bool:
    # Values below the smallest normal number may be flushed to zero, so they count as 0.
    return x.lo < (dtype.tiny if dtype.is_float else 1.0)


def _may_be_zero(x: Interval, dtype: DType) -> bool:
    if dtype.is_float:
        return x.lo < dtype.tiny and x.hi > -dtype.tiny
    return x.contains(0.0)


def _exp_overflow(x: Interval, dtype: DType) -> bool:
    return dtype.is_float and x.hi > dtype.exp_overflow_threshold


def _base_not_positive(x: Interval, dtype: DType) -> bool:
    return x.lo < (dtype.tiny if dtype.is_float else 1.0)


def _pow_danger(base: Interval, exponent: Interval, dtype: DType) -> bool:
    """The base may be <= 0 and the exponent may be negative or not an integer."""
    if not _base_not_positive(base, dtype):
        return False
    integral = exponent.lo == exponent.hi and math.isfinite(exponent.lo) and exponent.lo == int(exponent.lo)
    return exponent.lo < 0 or not (integral or dtype.is_integer)


def _non_positive_integer(x: Interval, dtype: DType) -> bool:
    """Some integer k <= 0 lies in the range (a subnormal counts as 0)."""
    tiny = dtype.tiny if dtype.is_float else 0.5
    hi = 0.0 if -tiny < x.hi < tiny else x.hi
    if hi >= 0:
        return x.lo < tiny
    return math.floor(hi) >= x.lo


SPECS: tuple[UnsafeOpSpec, ...] = (
    UnsafeOpSpec("NS101", ("Log",), 0, _below_normal, "log(0) = -inf and log(x < 0) = NaN", "<= 0",
                 "log of a value that may be zero or negative"),
    UnsafeOpSpec("NS102", ("Log1p",), 0, lambda x, d: x.lo <= -1, "log1p(-1) = -inf and log1p(x < -1) = NaN",
                 "<= -1", "log1p of a value that may be -1 or less"),
    UnsafeOpSpec("NS103", ("Exp",), 0, _exp_overflow, "exp overflows to inf", "> ln(max)",
                 "exp of a value large enough to overflow"),
    UnsafeOpSpec("NS104", ("Expm1",), 0, _exp_overflow, "expm1 overflows to inf", "> ln(max)",
                 "expm1 of a value large enough to overflow"),
    UnsafeOpSpec("NS105", ("RealDiv", "Div"), 1, _may_be_zero, "x / 0 = inf or NaN", "= 0",
                 "division by a value that may be zero"),
    UnsafeOpSpec("NS106", ("Reciprocal", "Inv"), 0, _may_be_zero, "1 / 0 = inf", "= 0",
                 "reciprocal of a value that may be zero"),
    UnsafeOpSpec("NS107", ("Sqrt",), 0, lambda x, d: x.lo < 0, "sqrt(x < 0) = NaN", "< 0",
                 "square root of a value that may be negative"),
    UnsafeOpSpec("NS108", ("Rsqrt",), 0, _below_normal, "rsqrt(0) = inf and rsqrt(x < 0) = NaN", "<= 0",
                 "reciprocal square root of a value that may be zero or negative"),
    UnsafeOpSpec("NS109", ("Pow",), 0, _base_not_positive,
                 "0 ** negative = inf and negative ** fractional = NaN", "<= 0 with a negative or fractional exponent",
                 "power of a base that may be zero or negative", joint=_pow_danger),
    UnsafeOpSpec("NS110", ("Acos", "Asin"), 0, lambda x, d: x.lo < -1 or x.hi > 1, "acos/asin(|x| > 1) = NaN",
                 "outside [-1, 1]", "arccosine or arcsine of a value that may lie outside [-1, 1]"),
    UnsafeOpSpec("NS111", ("Atanh",), 0, lambda x, d: x.lo <= -1 or x.hi >= 1,
                 "atanh(+-1) = +-inf and atanh(|x| > 1) = NaN", "outside (-1, 1)",
                 "inverse hyperbolic tangent of a value that may reach -1 or 1"),
    UnsafeOpSpec("NS112", ("Acosh",), 0, lambda x, d: x.lo < 1, "acosh(x < 1) = NaN", "< 1",
                 "inverse hyperbolic cosine of a value that may be below 1"),
    UnsafeOpSpec("NS113", ("Lgamma", "Digamma"), 0, _non_positive_integer,
                 "lgamma/digamma have poles (inf or NaN) at 0, -1, -2, ...", "a non-positive integer",
                 "log-gamma or digamma of a value that may be a non-positive integer"),
    UnsafeOpSpec("NS114", ("FloorDiv", "TruncateDiv", "FloorMod", "TruncateMod", "Mod"), 1, _may_be_zero,
                 "integer division by 0 fails and float division by 0 gives inf or NaN", "= 0",
                 "floor/truncating division or modulo by a value that may be zero"),
)

SPEC_BY_OP: dict[str, UnsafeOpSpec] = {op: spec for spec in SPECS for op in spec.op_types}
SPEC_BY_CODE: dict[str, UnsafeOpSpec] = {spec.code: spec for spec in SPECS}

# TensorFlow names gradient ops `<scope>/gradients[_N]/<forward op name>_grad/<op>`.
_GRADIENT_NAME = re.compile(r"^(?:(?P<outer>.*)/)?gradients(?:_\d+)?/(?P<forward>.+)_grad/[^/]+$")


def forward_op_of(name: str, graph: Graph) -> str | None:
    """The forward op whose gradient computation created `name`, when it can be identified."""
    match = _GRADIENT_NAME.match(name)
    if not match:
        return None
    forward = match.group("forward")
    for candidate in (forward, f"{match.group('outer')}/{forward}" if match.group("outer") else None):
        if candidate and candidate in graph:
            return candidate
    return None


@dataclass(frozen=True)
class CheckResult:
    node: Node
    spec: UnsafeOpSpec
    input_range: Interval
    dtype: DType
    unsafe: bool
    gradient_of: str | None
    split_on: str | None = None   # proven safe only by splitting this node's value at 0
    prefix: str = ""              # the call path when the op lives in a function body

    @property
    def name(self) -> str:
        return self.prefix + self.node.name

    def message(self) -> str:
        op = self.node.op
        subject = f"the gradient of {self.gradient_of} computes {op}, whose input" if self.gradient_of \
            else f"{op} input"
        return (f"{subject} may be {self.spec.zone}: inferred range {self.input_range} ({self.dtype.name}); "
                f"{self.spec.hazard}")


def run_checks(graph: Graph, env: Environment) -> list[CheckResult]:
    """Check every covered op of the graph, and of every function body the interpreter evaluated."""
    results = _check_nodes(graph, env, "")
    for body in env.bodies:
        results.extend(_check_nodes(body.env.graph, body.env, body.prefix))
    return results


def _check_nodes(graph: Graph, env: Environment, prefix: str) -> list[CheckResult]:
    results = []
    for node in graph:
        spec = SPEC_BY_OP.get(node.op)
        if spec is None or spec.input_index >= len(node.inputs):
            continue
        value = env.value(node.inputs[spec.input_index])
        dtype = value.dtype if value.dtype.is_numeric else node.output_dtype()
        unsafe = spec.danger(value.interval, dtype)
        if unsafe and spec.joint is not None and spec.other_index < len(node.inputs):
            unsafe = spec.joint(value.interval, env.value(node.inputs[spec.other_index]).interval, dtype)
        results.append(CheckResult(node, spec, value.interval, dtype, unsafe, forward_op_of(node.name, graph),
                                   prefix=prefix))
    return results


# -- suppression comments --------------------------------------------------------------------------------

IGNORE_DIRECTIVE = re.compile(r"#\s*nanscope:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
ALL_CODES = frozenset({"*"})   # what a bare `# nanscope: ignore` silences


def ignored_codes(comment: str) -> frozenset[str]:
    """The rule codes a comment silences: `ALL_CODES` for a bare `# nanscope: ignore`, the listed codes for
    `# nanscope: ignore[NS101, NS105]`, and nothing for any other comment."""
    codes: set[str] = set()
    for match in IGNORE_DIRECTIVE.finditer(comment):
        listed = match.group("codes")
        if listed is None:
            return ALL_CODES
        codes.update(code.strip().upper() for code in listed.split(",") if code.strip())
    return frozenset(codes)


def comments_by_line(text: str) -> dict[int, str]:
    """Line number (1-based) -> text of the comment on that line, for real comments only (a `#` inside a
    string does not count). A file that does not tokenize keeps the comments read before the error."""
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return comments


def is_suppressed(code: str, first_line: int, last_line: int, comments: Mapping[int, str]) -> bool:
    """Whether a comment on any line from `first_line` to `last_line` (the reported expression) silences
    `code`."""
    for line in range(first_line, last_line + 1):
        comment = comments.get(line)
        if comment is not None:
            codes = ignored_codes(comment)
            if "*" in codes or code.upper() in codes:
                return True
    return False


__all__ = ["ALL_CODES", "IGNORE_DIRECTIVE", "SPECS", "SPEC_BY_CODE", "CheckResult", "UnsafeOpSpec",
           "comments_by_line", "format_bound", "forward_op_of", "ignored_codes", "is_suppressed", "run_checks"]
