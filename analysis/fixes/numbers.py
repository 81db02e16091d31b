"""The numbers fixes write into the source: epsilons, clipping bounds and exp limits, per dtype.

Owns the default epsilon of every float dtype, the exp overflow limit written into `tf.minimum(x, limit)`,
the formatting of these numbers as Python literals, and the value TensorFlow stores when it converts such
a literal to a tensor of the dtype (a float16 constant of 1e-8 is 0): the rewritten graph uses that
stored value, so a too small epsilon is caught by the re-analysis instead of being trusted.
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Mapping

import numpy as np

from nanscope.analysis.domain.dtypes import DType

# Large enough that x + eps is a normal number of the dtype and 1 / eps is finite; small enough not to
# matter next to typical values (Keras' epsilon is 1e-7; float16's smallest normal is about 6.1e-5).
DEFAULT_EPS: Mapping[str, float] = {"float16": 1e-4, "bfloat16": 1e-7, "float32": 1e-7, "float64": 1e-12}
FIXABLE_DTYPES = frozenset(DEFAULT_EPS)


def eps_for(dtype: DType, configured: float | Mapping[str, float] | None = None) -> float | None:
    """The epsilon for `dtype`: the configured value (one for all dtypes, or by dtype name), else the
    default; None for dtypes fixes do not handle (integers, 8-bit floats)."""
    if dtype.name not in FIXABLE_DTYPES:
        return None
    if isinstance(configured, Mapping):
        value = configured.get(dtype.name)
        return float(value) if value is not None else DEFAULT_EPS[dtype.name]
    return float(configured) if configured is not None else DEFAULT_EPS[dtype.name]


def exp_limit(dtype: DType) -> float:
    """The bound for `tf.minimum(x, limit)` before exp: ln(max finite value), rounded down to an integer
    (88 for float32 and bfloat16, 11 for float16, 709 for float64)."""
    return float(math.floor(math.log(dtype.max)))


def log1p_floor(eps: float, dtype: DType) -> str:
    """The literal of the lower bound for log1p's input: -1 plus a margin that stays visible next to -1 in
    the dtype (at least twice its machine epsilon), written exactly in decimal."""
    margin = nice_up(max(eps, 2 * dtype.eps), digits=1)
    return format(Decimal(-1) + Decimal(repr(margin)), "f")


def nice_up(value: float, digits: int = 2) -> float:
    """The smallest number >= value with at most `digits` significant digits (for readable bounds)."""
    if value <= 0 or not math.isfinite(value):
        return value
    exponent = math.floor(math.log10(value)) - digits + 1
    step = Decimal(1).scaleb(exponent)
    rounded = float((Decimal(repr(value)) / step).to_integral_value(rounding="ROUND_CEILING") * step)
    return rounded if rounded >= value else math.nextafter(rounded, math.inf)


def literal(value: float) -> str:
    """A Python float literal for `value`: `1e-07`, `88.0`, `0.5`."""
    if value == int(value) and abs(value) < 1e16:
        return f"{value:.1f}"
    return repr(float(value))


def stored_value(value: float, dtype: DType) -> np.ndarray:
    """The constant TensorFlow makes from the Python float `value` for a tensor of `dtype`, as the graph
    loader represents it (bfloat16 as float32 holding the rounded value)."""
    if dtype.name == "float16":
        return np.asarray(value, dtype=np.float16)
    if dtype.name == "float64":
        return np.asarray(value, dtype=np.float64)
    if dtype.name == "bfloat16":
        return np.asarray(_round_bfloat16(value), dtype=np.float32)
    return np.asarray(value, dtype=np.float32)


def _round_bfloat16(value: float) -> float:
    """Round to bfloat16 (the upper 16 bits of a float32), to nearest, ties to even."""
    bits = int(np.asarray(value, dtype=np.float32).view(np.uint32))
    if (bits & 0x7F800000) == 0x7F800000:
        return float(np.asarray(value, dtype=np.float32))
    bits += 0x7FFF + ((bits >> 16) & 1)
    return float(np.asarray((bits >> 16) << 16, dtype=np.uint32).view(np.float32))
