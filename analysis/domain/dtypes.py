"""Element types of TensorFlow tensors and the numeric limits the analysis derives from them.

One table, keyed by TensorFlow's DataType enum number, says for every type its name, kind and limits.
Danger-zone thresholds (exp overflow, log underflow) and default ranges are computed from these limits,
never hard-coded for one type.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

REF_OFFSET = 100  # TF encodes reference types (old-style variables) as base type + 100


@dataclass(frozen=True)
class DType:
    name: str          # numpy-style name: "float32", "int64", ...
    tf_name: str       # DataType enum name: "DT_FLOAT", ...
    number: int        # DataType enum number
    kind: str          # "float" | "int" | "uint" | "bool" | "complex" | "other"
    max: float = math.inf       # largest finite value (floats) or largest integer
    lowest: float = -math.inf   # most negative finite value
    tiny: float = 0.0           # smallest positive normal number (floats)
    eps: float = 0.0            # machine epsilon: spacing of values at 1.0 (floats)

    @property
    def is_float(self) -> bool:
        return self.kind == "float"

    @property
    def is_integer(self) -> bool:
        return self.kind in ("int", "uint")

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("float", "int", "uint", "bool")

    @property
    def exp_overflow_threshold(self) -> float:
        """exp(x) is finite in this type exactly when x <= ln(max)."""
        return math.log(self.max) if self.is_float else math.inf


def _float(name, tf_name, number, max_, tiny, eps):
    return DType(name, tf_name, number, "float", max_, -max_, tiny, eps)


def _int(name, tf_name, number, bits, signed=True):
    if signed:
        return DType(name, tf_name, number, "int", float(2 ** (bits - 1) - 1), float(-(2 ** (bits - 1))))
    return DType(name, tf_name, number, "uint", float(2 ** bits - 1), 0.0)


_TABLE = [
    DType("invalid", "DT_INVALID", 0, "other"),
    _float("float32", "DT_FLOAT", 1, 3.4028234663852886e38, 1.1754943508222875e-38, 1.1920928955078125e-07),
    _float("float64", "DT_DOUBLE", 2, 1.7976931348623157e308, 2.2250738585072014e-308, 2.220446049250313e-16),
    _int("int32", "DT_INT32", 3, 32),
    _int("uint8", "DT_UINT8", 4, 8, signed=False),
    _int("int16", "DT_INT16", 5, 16),
    _int("int8", "DT_INT8", 6, 8),
    DType("string", "DT_STRING", 7, "other"),
    DType("complex64", "DT_COMPLEX64", 8, "complex"),
    _int("int64", "DT_INT64", 9, 64),
    DType("bool", "DT_BOOL", 10, "bool", 1.0, 0.0),
    _int("qint8", "DT_QINT8", 11, 8),
    _int("quint8", "DT_QUINT8", 12, 8, signed=False),
    _int("qint32", "DT_QINT32", 13, 32),
    _float("bfloat16", "DT_BFLOAT16", 14, 3.3895313892515355e38, 1.1754943508222875e-38, 0.0078125),
    _int("qint16", "DT_QINT16", 15, 16),
    _int("quint16", "DT_QUINT16", 16, 16, signed=False),
    _int("uint16", "DT_UINT16", 17, 16, signed=False),
    DType("complex128", "DT_COMPLEX128", 18, "complex"),
    _float("float16", "DT_HALF", 19, 65504.0, 6.103515625e-05, 0.0009765625),
    DType("resource", "DT_RESOURCE", 20, "other"),
    DType("variant", "DT_VARIANT", 21, "other"),
    _int("uint32", "DT_UINT32", 22, 32, signed=False),
    _int("uint64", "DT_UINT64", 23, 64, signed=False),
    _float("float8_e5m2", "DT_FLOAT8_E5M2", 24, 57344.0, 6.103515625e-05, 0.25),
    _float("float8_e4m3fn", "DT_FLOAT8_E4M3FN", 25, 448.0, 0.015625, 0.125),
    _float("float8_e4m3fnuz", "DT_FLOAT8_E4M3FNUZ", 26, 240.0, 0.0078125, 0.125),
    _float("float8_e4m3b11fnuz", "DT_FLOAT8_E4M3B11FNUZ", 27, 30.0, 0.0009765625, 0.125),
    _float("float8_e5m2fnuz", "DT_FLOAT8_E5M2FNUZ", 28, 57344.0, 3.0517578125e-05, 0.25),
    _int("int4", "DT_INT4", 29, 4),
    _int("uint4", "DT_UINT4", 30, 4, signed=False),
    _int("int2", "DT_INT2", 31, 2),
    _int("uint2", "DT_UINT2", 32, 2, signed=False),
    _float("float4_e2m1fn", "DT_FLOAT4_E2M1FN", 33, 6.0, 1.0, 0.5),
]

BY_NUMBER: dict[int, DType] = {d.number: d for d in _TABLE}
BY_NAME: dict[str, DType] = {d.name: d for d in _TABLE}
BY_TF_NAME: dict[str, DType] = {d.tf_name: d for d in _TABLE}

FLOAT32 = BY_NAME["float32"]
FLOAT64 = BY_NAME["float64"]
INT32 = BY_NAME["int32"]
INT64 = BY_NAME["int64"]
BOOL = BY_NAME["bool"]
UNKNOWN = DType("unknown", "DT_INVALID", -1, "other")


def from_enum(number: int) -> DType:
    """The dtype for a DataType enum number; reference types map to their base type."""
    if number >= REF_OFFSET:
        number -= REF_OFFSET
    return BY_NUMBER.get(number, UNKNOWN)


def enum_values() -> list[tuple[str, int]]:
    """(name, number) of every DataType value including the *_REF variants, for the proto schema."""
    base = [(d.tf_name, d.number) for d in _TABLE]
    refs = [(f"{name}_REF", number + REF_OFFSET) for name, number in base if number > 0]
    return base + refs
