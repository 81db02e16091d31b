"""Reading GraphDef protobufs (binary `.pb`, text `.pbtxt`, or bytes from the tracer) into our IR.

This is the only module that touches TensorFlow protobuf messages; it uses our own schema
(`proto.py`), so loading a saved graph never imports TensorFlow.
"""
from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from google.protobuf import message, text_format

from nanscope.analysis.domain import dtypes
from nanscope.analysis.gcpause import gc_paused
from nanscope.analysis.graph import proto
from nanscope.analysis.graph.ir import FunctionRef, Graph, Node, TensorRef

# Constants larger than this many elements are not decoded (their value becomes unknown, which is sound).
MAX_CONSTANT_ELEMENTS = 1 << 22


class GraphLoadError(Exception):
    """A graph file or buffer that is not a readable GraphDef."""


class GraphTooLarge(GraphLoadError):
    """A GraphDef with more ops than the caller's limit (issue 6: refused before building the IR)."""


def _check_size(graph_def: Any, source: str, max_ops: int | None) -> None:
    # Robustness (issue 6): count the nodes of the parsed proto before building the IR, whose memory and
    # analysis time grow with the op count; a too-large graph is a clear error, not an exhausted machine.
    if max_ops is not None and len(graph_def.node) > max_ops:
        raise GraphTooLarge(f"{source} is too large to analyse: {len(graph_def.node)} ops, more than the limit "
                            f"of {max_ops} (--max-ops)")


def load_graph_file(path: Path, max_ops: int | None = None) -> Graph:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise GraphLoadError(f"cannot read {path}: {error.strerror or error}") from error
    if path.suffix == ".pbtxt":
        return graph_from_text(data, source=str(path), max_ops=max_ops)
    return graph_from_bytes(data, source=str(path), max_ops=max_ops)


def graph_from_bytes(data: bytes, source: str = "<bytes>", max_ops: int | None = None) -> Graph:
    graph_def = proto.GraphDef()
    try:
        graph_def.ParseFromString(data)
    except (message.DecodeError, ValueError, RecursionError) as error:
        raise GraphLoadError(f"{source} is not a binary GraphDef: {error}") from error
    _check_size(graph_def, source, max_ops)
    return graph_from_proto(graph_def)


def graph_from_text(data: bytes, source: str = "<text>", max_ops: int | None = None) -> Graph:
    graph_def = proto.GraphDef()
    try:
        text = data.decode("utf-8")
        text_format.Parse(text, graph_def, allow_unknown_field=True)
    except (UnicodeDecodeError, text_format.ParseError, ValueError, RecursionError) as error:
        raise GraphLoadError(f"{source} is not a text GraphDef: {error}") from error
    _check_size(graph_def, source, max_ops)
    return graph_from_proto(graph_def)


def graph_from_proto(graph_def: Any) -> Graph:
    with gc_paused():
        nodes = [node_from_proto(node_def) for node_def in graph_def.node]
        functions = {f.signature.name: f for f in graph_def.library.function}
        return Graph(nodes, functions=functions)


def node_from_proto(node_def: Any) -> Node:
    inputs: list[TensorRef] = []
    control: list[str] = []
    for text in node_def.input:
        if text.startswith("^"):
            control.append(text[1:])
        else:
            inputs.append(parse_tensor_name(text))
    attrs = {key: attr_value(value) for key, value in node_def.attr.items()}
    return Node(name=node_def.name, op=node_def.op, inputs=tuple(inputs), control_inputs=tuple(control),
                attrs=MappingProxyType(attrs), device=node_def.device)


def parse_tensor_name(text: str) -> TensorRef:
    """'name' -> output 0; 'name:2' -> output 2. (Function bodies use 'node:arg:index', kept verbatim.)"""
    name, sep, index = text.rpartition(":")
    if sep and index.isdigit() and ":" not in name:
        return TensorRef(name, int(index))
    return TensorRef(text, 0)


def attr_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "s":
        return value.s.decode("utf-8", errors="replace")
    if kind in ("i", "f", "b"):
        return getattr(value, kind)
    if kind == "type":
        return dtypes.from_enum(value.type)
    if kind == "shape":
        return shape_from_proto(value.shape)
    if kind == "tensor":
        return tensor_from_proto(value.tensor)
    if kind == "func":
        return FunctionRef(value.func.name, MappingProxyType({k: attr_value(v) for k, v in value.func.attr.items()}))
    if kind == "placeholder":
        return None
    if kind == "list":
        lst = value.list
        if lst.s:
            return tuple(s.decode("utf-8", errors="replace") for s in lst.s)
        if lst.i:
            return tuple(lst.i)
        if lst.f:
            return tuple(lst.f)
        if lst.b:
            return tuple(lst.b)
        if lst.type:
            return tuple(dtypes.from_enum(t) for t in lst.type)
        if lst.shape:
            return tuple(shape_from_proto(s) for s in lst.shape)
        if lst.tensor:
            return tuple(tensor_from_proto(t) for t in lst.tensor)
        if lst.func:
            return tuple(FunctionRef(f.name) for f in lst.func)
        return ()
    return None


def shape_from_proto(shape: Any) -> tuple | None:
    if shape.unknown_rank:
        return None
    return tuple(dim.size if dim.size >= 0 else None for dim in shape.dim)


_NUMPY_BY_DTYPE = {
    "float32": np.float32, "float64": np.float64, "float16": np.float16, "int8": np.int8, "int16": np.int16,
    "int32": np.int32, "int64": np.int64, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
    "uint64": np.uint64, "bool": np.bool_, "qint8": np.int8, "quint8": np.uint8, "qint32": np.int32,
    "qint16": np.int16, "quint16": np.uint16,
}
# Which repeated field carries the values of each element type when tensor_content is empty.
_VALUE_FIELD = {
    "float32": "float_val", "float64": "double_val", "float16": "half_val", "bfloat16": "half_val",
    "int8": "int_val", "int16": "int_val", "int32": "int_val", "uint8": "int_val", "uint16": "int_val",
    "qint8": "int_val", "quint8": "int_val", "qint32": "int_val", "qint16": "int_val", "quint16": "int_val",
    "int64": "int64_val", "uint32": "uint32_val", "uint64": "uint64_val", "bool": "bool_val",
}


def tensor_from_proto(tensor: Any) -> np.ndarray | None:
    """Decode a TensorProto into a numpy array (bfloat16 as float32); None when it cannot be decoded.

    An undecodable constant is not an error: the interpreter then uses the dtype's range for it.
    """
    dtype = dtypes.from_enum(tensor.dtype)
    shape = shape_from_proto(tensor.tensor_shape)
    if shape is None or any(d is None for d in shape):
        return None
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count > MAX_CONSTANT_ELEMENTS or dtype.name not in _VALUE_FIELD:
        return None
    try:
        if dtype.name == "bfloat16":
            if tensor.tensor_content:
                bits = np.frombuffer(tensor.tensor_content, dtype="<u2")
            else:
                bits = np.asarray(tensor.half_val, dtype=np.uint32).astype(np.uint16)
            flat = (bits.astype(np.uint32) << 16).view(np.float32)
        elif tensor.tensor_content:
            flat = np.frombuffer(tensor.tensor_content, dtype=np.dtype(_NUMPY_BY_DTYPE[dtype.name]).newbyteorder("<"))
        else:
            values = getattr(tensor, _VALUE_FIELD[dtype.name])
            if dtype.name == "float16":
                flat = np.asarray(values, dtype=np.uint16).view(np.float16)
            else:
                flat = np.asarray(values, dtype=_NUMPY_BY_DTYPE[dtype.name])
        if flat.size == count:
            return flat.reshape(shape).copy()
        if flat.size == 0:
            return np.zeros(shape, dtype=flat.dtype)
        if flat.size < count:  # TF repeats the last value to fill the shape
            flat = np.concatenate([flat, np.full(count - flat.size, flat[-1], dtype=flat.dtype)])
            return flat.reshape(shape)
        return None
    except (ValueError, TypeError, OverflowError):
        return None


def save_graph_file(graph_def_bytes: bytes, path: Path) -> None:
    """Write serialized GraphDef bytes as binary (.pb) or text (.pbtxt), as the suffix says."""
    path = Path(path)
    if path.suffix == ".pbtxt":
        graph_def = proto.GraphDef()
        graph_def.ParseFromString(graph_def_bytes)
        path.write_text(text_format.MessageToString(graph_def), encoding="utf-8")
    else:
        path.write_bytes(graph_def_bytes)
