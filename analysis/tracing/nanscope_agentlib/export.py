"""Graphs -> the GraphDef the analysis reads, plus the frames of every op.

`export(tf, graphs, state)` takes [(label, tf.Graph or FuncGraph)] and returns an `Export`:

- `graph_def`: one graph's GraphDef (with shapes), or several merged, each one's node names prefixed
  with "<label>/" (node inputs and frames renamed alike; function libraries joined).
- Captured inputs of a FuncGraph are rewritten in the GraphDef, keeping their node names:
  * a captured resource variable's Placeholder becomes `VarHandleOp` (attrs `dtype`, `shape`,
    `shared_name` = the variable's name, plus `_nanscope_variable` = that name and `_nanscope_trainable`),
    so that `ReadVariableOp`s of it read a weight, as in a graph with resource variables;
  * a captured eager value with at most `CONST_LIMIT` elements becomes the `Const` it is; a larger one
    stays a Placeholder and its min/max is recorded as an observed range ("captured value").
  `variables` describes each rewritten variable node: {node: {"variable", "trainable", "dtype", "shape"}}.
- `frames`: {node name: user frames} in creation order (with `Provenance`'s attribution).
- `function_frames`: {function name: {node name: user frames}} for the ops of the functions in the
  graph's library (bodies of While/If, nested tf.functions), as far as TensorFlow still holds their graphs.
"""
# ruff: noqa: TID251 - relative imports within the agent's own package, which is loaded without nanscope
from __future__ import annotations

import gc

from .frames import PROVENANCE, op_user_frames
from .state import value_range

CONST_LIMIT = 1024


class Export:
    def __init__(self, graph_def, frames, function_frames, variables):
        self.graph_def = graph_def
        self.frames = frames
        self.function_frames = function_frames
        self.variables = variables


def export(tf, graphs, state, frame_filter=None):
    parts = []
    for label, graph in graphs:
        graph_def = graph.as_graph_def(add_shapes=True)
        frames = PROVENANCE.frames_for(graph, frame_filter)
        variables = rewrite_captures(tf, graph, graph_def, state)
        parts.append((label, graph_def, frames, function_frames(graph, frame_filter), variables))
    if len(parts) == 1:
        _, graph_def, frames, functions, variables = parts[0]
        return Export(graph_def, frames, functions, variables)
    return _merge(tf, parts)


def function_frames(graph, frame_filter=None, limit=200):
    """{function name: {op name: frames}} for the functions `graph` (and, recursively, they) define."""
    result = {}
    pending = [graph]
    while pending and len(result) < limit:
        current = pending.pop()
        for name, function in list(getattr(current, "_functions", {}).items()):
            if name in result:
                continue
            body = _function_graph(function)
            if body is None:
                continue
            ops = {}
            for op in body.get_operations():
                frames = op_user_frames(op, frame_filter)
                if frames:
                    ops[op.name] = frames
            result[name] = ops
            pending.append(body)
    return result


def _function_graph(function):
    for attribute in ("graph", "_graph", "cached_graph"):
        try:
            value = getattr(function, attribute, None)
        except (AttributeError, ValueError, TypeError, RuntimeError):
            value = None
        if value is not None and hasattr(value, "get_operations"):
            return value
    return None


def _variable_index(tf):
    """id(resource handle) -> (name, trainable, variable), over every resource variable alive."""
    from tensorflow.python.ops import resource_variable_ops

    keras_names = {}
    variables = []
    for obj in gc.get_objects():
        if isinstance(obj, resource_variable_ops.BaseResourceVariable):
            variables.append(obj)
        elif type(obj).__name__ == "Variable" and str(getattr(type(obj), "__module__", "")).startswith("keras."):
            inner = getattr(obj, "_value", None)
            if inner is not None:
                keras_names[id(inner)] = (getattr(obj, "path", None), bool(getattr(obj, "trainable", True)))
    index = {}
    for variable in variables:
        try:
            handle = variable.handle
        except (AttributeError, ValueError, RuntimeError):
            continue
        name, trainable = keras_names.get(id(variable), (None, None))
        if not name:
            name = variable.name.split(":")[0]
        if trainable is None:
            trainable = bool(getattr(variable, "trainable", True))
        index[id(handle)] = (name, trainable, variable)
    return index


def rewrite_captures(tf, graph, graph_def, state):
    captures = list(getattr(graph, "captures", ()) or ())
    if not captures:
        return {}
    nodes = {node.name: node for node in graph_def.node}
    index = None
    variables = {}
    from tensorflow.python.framework import tensor_util

    for external, internal in captures:
        node = nodes.get(internal.op.name)
        if node is None or node.op != "Placeholder" or internal.value_index != 0:
            continue
        if external.dtype == tf.resource:
            if index is None:
                index = _variable_index(tf)
            found = index.get(id(external))
            if found is None:
                continue
            name, trainable, variable = found
            shape = variable.shape
            node.op = "VarHandleOp"
            for key in list(node.attr):
                if key not in ("_output_shapes",):
                    del node.attr[key]
            node.attr["dtype"].type = variable.dtype.base_dtype.as_datatype_enum
            node.attr["shape"].shape.CopyFrom(shape.as_proto())
            node.attr["shared_name"].s = name.encode("utf-8")
            node.attr["container"].s = b""
            node.attr["_nanscope_variable"].s = name.encode("utf-8")
            node.attr["_nanscope_trainable"].b = trainable
            variables[node.name] = {"variable": name, "trainable": trainable,
                                    "dtype": variable.dtype.base_dtype.name,
                                    "shape": None if shape.rank is None else [d for d in shape.as_list()]}
            continue
        if not hasattr(external, "numpy"):
            continue          # a tensor of an enclosing graph: a real input of a nested function
        try:
            value = external.numpy()
        except (ValueError, TypeError, RuntimeError, AttributeError):
            continue
        if getattr(value, "size", 1) <= CONST_LIMIT:
            output_shapes = node.attr["_output_shapes"] if "_output_shapes" in node.attr else None
            saved = None
            if output_shapes is not None:
                saved = type(output_shapes)()
                saved.CopyFrom(output_shapes)
            node.op = "Const"
            node.attr.clear()
            node.attr["dtype"].type = external.dtype.as_datatype_enum
            node.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(value))
            if saved is not None:
                node.attr["_output_shapes"].CopyFrom(saved)
        else:
            state.observe(node.name, value_range(value), "captured value")
    return variables


def _renamed(text, prefix):
    if text.startswith("^"):
        return "^" + prefix + text[1:]
    return prefix + text


def _merge(tf, parts):
    from tensorflow.core.framework import graph_pb2

    merged = graph_pb2.GraphDef()
    frames, functions, variables = {}, {}, {}
    seen_functions = set()
    for position, (label, graph_def, part_frames, part_functions, part_variables) in enumerate(parts):
        prefix = f"{label}/"
        if position == 0:
            merged.versions.CopyFrom(graph_def.versions)
        for node in graph_def.node:
            copy = merged.node.add()
            copy.CopyFrom(node)
            copy.name = prefix + node.name
            del copy.input[:]
            copy.input.extend(_renamed(text, prefix) for text in node.input)
        for function in graph_def.library.function:
            if function.signature.name not in seen_functions:
                seen_functions.add(function.signature.name)
                merged.library.function.add().CopyFrom(function)
        for gradient in graph_def.library.gradient:
            merged.library.gradient.add().CopyFrom(gradient)
        frames.update({prefix + name: value for name, value in part_frames.items()})
        functions.update(part_functions)
        variables.update({prefix + name: value for name, value in part_variables.items()})
    return Export(merged, frames, functions, variables)
