"""The fixes nanscope knows, per unsafe op type: each a minimal text edit plus the matching graph rewrite.

Owns the catalogue, in order of preference within an op type:

- Log (NS101): `-reduce_sum(y * log(softmax(z)), axis=-1)` -> `softmax_cross_entropy_with_logits(labels=y,
  logits=z)` (only where the pattern is exact, in the source and in the graph); `log(softmax(z))` ->
  `log_softmax(z)`; `log(sigmoid(z))` -> `log_sigmoid(z)` (these three also for `y = softmax(z)` on an
  earlier line and `log(y)`, when z is a name that means the same tensor at the log);
  `log(clip_by_value(x, eps, 1.0))` for a probability; `log(maximum(x, eps))`; `log(x + eps)`;
  `log(clip_by_value(x, eps, hi))` with hi from the inferred upper bound.
- Log1p (NS102): `log1p(maximum(x, -1 + margin))`.
- Exp, Expm1 (NS103, NS104): `exp(minimum(x, limit))`, limit = ln(max) of the dtype rounded down.
- RealDiv, Div (NS105): `divide_no_nan(a, b)`; `a / (b + eps)` when b is proven non-negative.
- Reciprocal (NS106): `reciprocal_no_nan(x)`; `reciprocal(x + eps)` when x is proven non-negative.
- Sqrt (NS107): `sqrt(maximum(x, eps))`. Rsqrt (NS108): `rsqrt(x + eps)` (x non-negative), `rsqrt(maximum(x, eps))`.

A candidate edits only the operand (or, for a stable API, the expression) of the call that the source
mapping found, copies every other piece of text as written, and spells new functions as the file names
TensorFlow (`aliases`). Whether a candidate is proven is for `verify` to say.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from astroid import nodes

from nanscope.analysis.checks import forward_op_of
from nanscope.analysis.domain.dtypes import DType
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.fixes.aliases import Namespace, receiver_of
from nanscope.analysis.fixes.model import TextEdit
from nanscope.analysis.fixes.numbers import exp_limit, literal, log1p_floor, nice_up
from nanscope.analysis.fixes.rewrite import GraphEditor
from nanscope.analysis.fixes.source import SourceFile, needs_parentheses_for_add
from nanscope.analysis.graph.ir import Graph, Node, TensorRef
from nanscope.analysis.interpreter import Environment
from nanscope.analysis.report import Location
from nanscope.analysis.sourcemap import creates

# Ops that pass a value through unchanged (looked through to find a probability's producer).
_PASS_THROUGH = frozenset({"Identity", "Snapshot", "StopGradient", "PreventGradient", "CheckNumerics"})
_PROBABILITY_OPS = frozenset({"Softmax", "Sigmoid"})
# Keyword names of the tensor operands of the calls we edit, by operand index.
_OPERAND_KEYWORDS = {0: ("x", "features", "logits"), 1: ("y",)}
_PREVIEW_LENGTH = 60


@dataclass(frozen=True)
class Candidate:
    kind: str
    title: str
    edits: tuple[TextEdit, ...]
    rewrite: Callable[[GraphEditor], None] = field(compare=False)


@dataclass
class FixSite:
    """What a fix for one finding may consult: the op the reported call made, the call, the analysis."""
    subject: Node                  # the op the expression at the finding's location created
    expr: nodes.NodeNG             # that expression (a Call, BinOp or AugAssign)
    input_index: int               # the subject's input that the check inspects
    source: SourceFile
    names: Namespace
    graph: Graph
    env: Environment
    locations: Mapping[str, Location]
    dtype: DType                   # of the inspected input
    eps: float
    # A call site: the op was made inside a library call (`expr`); the fix guards `argument`, the user's
    # expression whose tensor `feed` reaches the op's input through the call's own ops (`region`).
    argument: nodes.NodeNG | None = None
    feed: TensorRef | None = None
    region: frozenset[str] = frozenset()

    @property
    def x_ref(self) -> TensorRef:
        """The tensor a guard bounds: the op's input, or at a call site the argument's tensor."""
        return self.feed if self.feed is not None else self.subject.inputs[self.input_index]

    @property
    def x(self) -> AbstractTensor:
        return self.env.value(self.x_ref)

    def spell(self, function: str, call: nodes.NodeNG | None = None) -> str | None:
        """How the file writes `function`, preferring the receiver of `call` (default: the reported call)."""
        call = self.expr if call is None else call
        receiver = receiver_of(call) if isinstance(call, nodes.Call) else None
        return self.names.spell(function, receiver)

    def operand(self, index: int) -> nodes.NodeNG | None:
        """The source expression of the subject's input `index` (an argument or an operand)."""
        expr = self.expr
        if isinstance(expr, nodes.Call):
            if index < len(expr.args):
                arg = expr.args[index]
                return None if isinstance(arg, nodes.Starred) else arg
            for keyword in expr.keywords or ():
                if keyword.arg in _OPERAND_KEYWORDS.get(index, ()):
                    return keyword.value
            return None
        if isinstance(expr, nodes.BinOp):
            return expr.left if index == 0 else expr.right
        if isinstance(expr, nodes.AugAssign):
            return expr.value if index == 1 else None
        return None

    def producer(self, ref: TensorRef) -> Node | None:
        node = self.graph.get(ref.node)
        while node is not None and node.op in _PASS_THROUGH and node.inputs:
            node = self.graph.get(node.inputs[0].node)
        return node

    def located_at(self, op_name: str, expr: nodes.NodeNG) -> bool:
        location = self.locations.get(op_name)
        return location is not None and location.span == self.source.span(expr)


def candidates_for(site: FixSite) -> list[Candidate]:
    if site.argument is not None:
        return [c for c in _argument_guards(site) if c is not None]
    generator = _GENERATORS.get(site.subject.op)
    if generator is None:
        return []
    return [c for c in generator(site) if c is not None]


# -- guards on an operand -----------------------------------------------------------------------------

def _guard(site: FixSite, kind: str, title: str, new_text: Callable[[str, nodes.NodeNG], str],
           build: Callable[[GraphEditor, TensorRef], TensorRef]) -> Candidate | None:
    """Replace the operand `x` of the reported call by `new_text(x)`; in the graph, insert `build(x)`
    before the op's input (and its gradient ops' reads of it)."""
    arg = site.operand(site.input_index)
    if arg is None:
        return None
    text = new_text(site.source.segment(arg), arg)
    subject, index = site.subject.name, site.input_index

    def rewrite(editor: GraphEditor) -> None:
        editor.guard_input(subject, index, build(editor, site.x_ref))

    return Candidate(kind, f"{title}: {_preview(text)}", (TextEdit(site.source.span(arg), text),), rewrite)


def _add_eps(site: FixSite, title: str) -> Candidate | None:
    eps = site.eps

    def text(x: str, arg: nodes.NodeNG) -> str:
        if needs_parentheses_for_add(arg):
            x = f"({x})"
        summed = f"{x} + {literal(eps)}"
        inside_operator = isinstance(site.expr, nodes.BinOp)   # the divisor of `a / b`
        if inside_operator and not site.source.is_parenthesized(arg):
            return f"({summed})"
        return summed

    def build(editor: GraphEditor, x: TensorRef) -> TensorRef:
        return editor.op("AddV2", [x, editor.const(eps, site.dtype)], site.dtype, site.x.shape, base="add_eps")

    return _guard(site, "add-eps", title, text, build)


def _call_guard(site: FixSite, kind: str, title: str, function: str, op: str, bounds: list[str]
                ) -> Candidate | None:
    """`function(x, *bounds)` around the operand (tf.maximum, tf.minimum, tf.clip_by_value)."""
    spelled = site.spell(function)
    if spelled is None:
        return None

    def text(x: str, arg: nodes.NodeNG) -> str:
        return f"{spelled}({x}, {', '.join(bounds)})"

    def build(editor: GraphEditor, x: TensorRef) -> TensorRef:
        consts = [editor.const(float(b), site.dtype, base="bound") for b in bounds]
        return editor.op(op, [x, *consts], site.dtype, site.x.shape, base=function)

    return _guard(site, kind, title, text, build)


def _maximum(site: FixSite, bound: str) -> Candidate | None:
    return _call_guard(site, "maximum", "Bound the input from below", "maximum", "Maximum", [bound])


def _minimum(site: FixSite, bound: str) -> Candidate | None:
    return _call_guard(site, "minimum", "Bound the input from above", "minimum", "Minimum", [bound])


def _clip(site: FixSite, hi: float) -> Candidate | None:
    return _call_guard(site, "clip", "Clip the input", "clip_by_value", "ClipByValue",
                       [literal(site.eps), literal(hi)])


def _is_probability(site: FixSite) -> bool:
    producer = site.producer(site.x_ref)
    if producer is not None and producer.op in _PROBABILITY_OPS:
        return True
    interval = site.x.interval
    return interval.lo >= 0.0 and interval.hi <= 1.0


# -- guards on an argument of a library call -------------------------------------------------------------------

# Ops whose input must stay away from 0 or below (a floor helps); ops whose input must stay small (a ceiling).
_FLOORED = frozenset({"Log", "Log1p", "Sqrt", "Rsqrt", "RealDiv", "Div", "Reciprocal", "Inv", "Pow", "Xlogy",
                      "Lgamma", "Digamma", "Acosh"})
_CEILED = frozenset({"Exp", "Expm1"})


def _argument_guards(site: FixSite) -> list[Candidate | None]:
    """The op was made inside a library call (`tf.nn.batch_normalization(x, mean, var, ...)`): bound the
    argument that feeds its input (`var + eps`, `tf.maximum(var, eps)`, `tf.minimum(z, limit)`). In the
    graph, the call's own ops that read the argument's tensor read the guarded tensor instead, as the
    library would build them from the guarded argument. Whether that proves the op is for `verify` to say
    (the call may transform the argument in ways no such guard helps: the engine keeps only proven ones)."""
    op = site.subject.op
    candidates: list[Candidate | None] = []
    if op in _FLOORED:
        if site.x.interval.lo >= 0:
            candidates.append(_argument_guard(
                site, "add-eps", "Add epsilon to the argument",
                lambda x, arg: f"({x}) + {literal(site.eps)}" if needs_parentheses_for_add(arg)
                else f"{x} + {literal(site.eps)}",
                lambda editor, x: editor.op("AddV2", [x, editor.const(site.eps, site.dtype)], site.dtype,
                                            site.x.shape, base="add_eps")))
        candidates.append(_argument_call_guard(site, "maximum", "Bound the argument from below", "maximum",
                                               "Maximum", literal(site.eps)))
    elif op in _CEILED:
        candidates.append(_argument_call_guard(site, "minimum", "Bound the argument from above", "minimum",
                                               "Minimum", literal(exp_limit(site.dtype))))
    return candidates


def _argument_call_guard(site: FixSite, kind: str, title: str, function: str, op: str, bound: str
                         ) -> Candidate | None:
    spelled = site.spell(function)
    if spelled is None:
        return None
    return _argument_guard(
        site, kind, title, lambda x, arg: f"{spelled}({x}, {bound})",
        lambda editor, x: editor.op(op, [x, editor.const(float(bound), site.dtype, base="bound")], site.dtype,
                                    site.x.shape, base=function))


def _argument_guard(site: FixSite, kind: str, title: str, new_text: Callable[[str, nodes.NodeNG], str],
                    build: Callable[[GraphEditor, TensorRef], TensorRef]) -> Candidate:
    arg, feed, region = site.argument, site.x_ref, site.region
    text = new_text(site.source.segment(arg), arg)

    def rewrite(editor: GraphEditor) -> None:
        guarded = build(editor, feed)
        for name in sorted(region):
            node = editor.nodes.get(name)
            if node is None:
                continue
            for index, ref in enumerate(node.inputs):
                if ref == feed:
                    editor.guard_input(name, index, guarded)

    callee = site.source.segment(site.expr.func) if isinstance(site.expr, nodes.Call) else "the call"
    return Candidate(kind, f"{title} of {_preview(callee)}: {_preview(text)}",
                     (TextEdit(site.source.span(arg), text),), rewrite)


# -- per op type ------------------------------------------------------------------------------------------

def _log(site: FixSite) -> list[Candidate | None]:
    x = site.x.interval
    probability = _is_probability(site)
    candidates = [_softmax_cross_entropy(site), _log_softmax(site), _log_sigmoid(site)]
    if probability:
        candidates.append(_clip(site, 1.0))
    candidates += [_maximum(site, literal(site.eps)), _add_eps(site, "Add epsilon to the input")]
    if not probability and site.eps < x.hi < site.dtype.max and nice_up(x.hi, digits=3) <= site.dtype.max:
        candidates.append(_clip(site, nice_up(x.hi, digits=3)))   # no clip at the dtype's max: it bounds nothing
    return candidates


def _log1p(site: FixSite) -> list[Candidate | None]:
    return [_maximum(site, log1p_floor(site.eps, site.dtype))]


def _exp(site: FixSite) -> list[Candidate | None]:
    return [_minimum(site, literal(exp_limit(site.dtype)))]


def _sqrt(site: FixSite) -> list[Candidate | None]:
    return [_maximum(site, literal(site.eps))]


def _rsqrt(site: FixSite) -> list[Candidate | None]:
    candidates = []
    if site.x.interval.lo >= 0:
        candidates.append(_add_eps(site, "Add epsilon to the input"))
    candidates.append(_maximum(site, literal(site.eps)))
    return candidates


def _division(site: FixSite) -> list[Candidate | None]:
    candidates = [_divide_no_nan(site)]
    if site.x.interval.lo >= 0:
        candidates.append(_add_eps(site, "Add epsilon to the divisor"))
    return candidates


def _reciprocal(site: FixSite) -> list[Candidate | None]:
    candidates = [_reciprocal_no_nan(site)]
    if site.x.interval.lo >= 0:
        candidates.append(_add_eps(site, "Add epsilon to the input"))
    return candidates


# -- stable APIs ----------------------------------------------------------------------------------------

def _divide_no_nan(site: FixSite) -> Candidate | None:
    """`a / b` -> `divide_no_nan(a, b)`; `tf.divide(a, b)` -> `tf.math.divide_no_nan(a, b)` (same
    parameters x, y, name: only the callee changes). Division of floats only."""
    spelled = site.spell("divide_no_nan")
    expr, source = site.expr, site.source
    if spelled is None:
        return None
    if isinstance(expr, nodes.BinOp) and expr.op == "/":
        edit = TextEdit(source.span(expr), f"{spelled}({source.segment(expr.left)}, {source.segment(expr.right)})")
    elif isinstance(expr, nodes.Call) and not _has_star_args(expr):
        edit = TextEdit(source.span(expr.func), spelled)
    else:
        return None
    subject = site.subject

    def rewrite(editor: GraphEditor) -> None:
        editor.replace(subject.name, "DivNoNan", subject.inputs[:2], site.dtype, site.subject.output_shape())

    preview = edit.new_text if isinstance(expr, nodes.BinOp) else spelled + source.between(expr.func, expr)
    return Candidate("divide-no-nan", f"Replace with {_preview(preview)}", (edit,), rewrite)


def _reciprocal_no_nan(site: FixSite) -> Candidate | None:
    spelled = site.spell("reciprocal_no_nan")
    expr = site.expr
    if spelled is None or not isinstance(expr, nodes.Call) or _has_star_args(expr):
        return None
    edit = TextEdit(site.source.span(expr.func), spelled)
    subject = site.subject

    def rewrite(editor: GraphEditor) -> None:
        one = editor.const(1.0, site.dtype, base="one")
        editor.replace(subject.name, "DivNoNan", [one, site.x_ref], site.dtype, subject.output_shape())

    preview = spelled + site.source.between(expr.func, expr)
    return Candidate("reciprocal-no-nan", f"Replace with {_preview(preview)}", (edit,), rewrite)


def _single_operand_call(site: FixSite, node: nodes.NodeNG, op_type: str) -> nodes.NodeNG | None:
    """The one tensor argument of `node` when it is a call that creates `op_type` (softmax, sigmoid)
    with no other argument than a name, else None."""
    if not isinstance(node, nodes.Call) or not creates(node, op_type) or _has_star_args(node):
        return None
    keywords = [k for k in node.keywords or () if k.arg != "name"]
    if len(node.args) == 1 and not keywords:
        return node.args[0]
    if not node.args and len(keywords) == 1 and keywords[0].arg in ("logits", "x", "features"):
        return keywords[0].value
    return None


def _inner(site: FixSite, op_type: str) -> tuple[Node, nodes.NodeNG, nodes.NodeNG] | None:
    """For `log(f(z))` with f making `op_type`: (the f node in the graph, the f call, z's expression),
    when the graph agrees (the Log reads that op, and the op was made by that very call). Also for
    `y = f(z)` on an earlier line and `log(y)`, when z's text means the same tensor at the log (see
    `_assigned_inner`)."""
    producer = site.graph.get(site.x_ref.node)
    arg = site.operand(0)
    if producer is None or producer.op != op_type or arg is None or not producer.inputs:
        return None
    if isinstance(arg, nodes.Name):
        return _assigned_inner(site, producer, arg, op_type)
    z = _single_operand_call(site, arg, op_type)
    if z is None or not site.located_at(producer.name, arg):
        return None
    return producer, arg, z


def _assigned_inner(site: FixSite, producer: Node, name: nodes.Name, op_type: str
                    ) -> tuple[Node, nodes.NodeNG, nodes.NodeNG] | None:
    """`y = f(z)` then `log(y)`: (the f node, the f call, z) when rewriting `log(y)` in terms of z is exact.

    The graph must say the Log reads the op that call made; `y` must be bound only by that assignment and
    `z` be a plain name bound exactly once, both in the scope of the log (so that `z` written at the log
    is the tensor the call read, and copying it runs no code twice: a call such as `dense(h)` as z would
    build a second layer, so it is never copied)."""
    location = site.locations.get(producer.name)
    if location is None or Path(location.path).resolve() != site.source.path.resolve():
        return None
    calls = [e for e in site.source.expressions_at(location.span) if creates(e, op_type)]
    if len(calls) != 1:
        return None
    [call] = calls
    z = _single_operand_call(site, call, op_type)
    assign = call.parent
    if not isinstance(z, nodes.Name) or not isinstance(assign, nodes.Assign) or assign.value is not call:
        return None
    if len(assign.targets) != 1 or not isinstance(assign.targets[0], nodes.AssignName) or \
            assign.targets[0].name != name.name:
        return None
    scope = site.expr.scope()
    if call.scope() is not scope or name.scope() is not scope:
        return None
    if scope.locals.get(name.name) != [assign.targets[0]] or len(scope.locals.get(z.name, ())) != 1:
        return None
    return producer, call, z


def _log_softmax(site: FixSite) -> Candidate | None:
    found = _inner(site, "Softmax")
    spelled = site.spell("log_softmax", found[1]) if found is not None else None
    if found is None or spelled is None:
        return None
    softmax, _, z = found
    new_text = f"{spelled}({site.source.segment(z)})"
    edit = TextEdit(site.source.span(site.expr), new_text)
    subject = site.subject

    def rewrite(editor: GraphEditor) -> None:
        editor.replace(subject.name, "LogSoftmax", [softmax.inputs[0]], site.dtype, subject.output_shape())

    return Candidate("log-softmax", f"Replace with {_preview(new_text)}", (edit,), rewrite)


def _log_sigmoid(site: FixSite) -> Candidate | None:
    found = _inner(site, "Sigmoid")
    spelled = site.spell("log_sigmoid")
    if found is None or spelled is None:
        return None
    sigmoid, _, z = found
    new_text = f"{spelled}({site.source.segment(z)})"
    edit = TextEdit(site.source.span(site.expr), new_text)
    subject, dtype, shape = site.subject, site.dtype, site.subject.output_shape()

    def rewrite(editor: GraphEditor) -> None:   # log_sigmoid(z) = -softplus(-z), as TensorFlow builds it
        negated = editor.op("Neg", [sigmoid.inputs[0]], dtype, shape, base="log_sigmoid/Neg")
        softplus = editor.op("Softplus", [negated], dtype, shape, base="log_sigmoid/Softplus")
        editor.replace(subject.name, "Neg", [softplus], dtype, shape)

    return Candidate("log-sigmoid", f"Replace with {_preview(new_text)}", (edit,), rewrite)


def _softmax_cross_entropy(site: FixSite) -> Candidate | None:
    """`-reduce_sum(y * log(softmax(z)), axis=-1)` (or the last axis by number, or `y` on the right)
    -> `softmax_cross_entropy_with_logits(labels=y, logits=z)`: the same per-example value, computed
    stably. Offered only when every piece matches in the source and in the graph."""
    found = _inner(site, "Softmax")
    spelled = site.spell("softmax_cross_entropy_with_logits", found[1]) if found is not None else None
    if found is None or spelled is None:
        return None
    softmax, _, z = found
    product, reduce_call, negation = site.expr.parent, None, None
    if isinstance(product, nodes.BinOp) and product.op == "*":
        reduce_call = product.parent
    if isinstance(reduce_call, nodes.Call) and creates(reduce_call, "Sum"):
        negation = reduce_call.parent
    if not (isinstance(negation, nodes.UnaryOp) and negation.op == "-"):
        return None
    labels_expr = product.right if product.left is site.expr else product.left
    axis = _reduce_axis(reduce_call, product)
    if axis is None:
        return None
    graph_match = _cross_entropy_in_graph(site, softmax, product, reduce_call, negation, axis)
    if graph_match is None:
        return None
    mul, total, neg, labels = graph_match
    source = site.source
    new_text = f"{spelled}(labels={source.segment(labels_expr)}, logits={source.segment(z)})"
    edit = TextEdit(source.span(negation), new_text)
    dtype = site.dtype

    def rewrite(editor: GraphEditor) -> None:
        editor.replace(neg.name, "SoftmaxCrossEntropyWithLogits", [softmax.inputs[0], labels], dtype,
                       neg.output_shape())
        for name in (total.name, mul.name, site.subject.name):
            editor.remove(name)

    return Candidate("softmax-cross-entropy", f"Replace with {_preview(new_text)}", (edit,), rewrite)


def _reduce_axis(call: nodes.Call, product: nodes.BinOp) -> int | None:
    """The one axis literal of `reduce_sum(product, axis)`, None unless the call is exactly that."""
    if _has_star_args(call) or not call.args or call.args[0] is not product:
        return None
    axis_nodes = list(call.args[1:])
    for keyword in call.keywords or ():
        if keyword.arg in ("axis", "reduction_indices"):
            axis_nodes.append(keyword.value)
        elif keyword.arg in ("keepdims", "keep_dims"):
            if not (isinstance(keyword.value, nodes.Const) and keyword.value.value is False):
                return None
        elif keyword.arg != "name":
            return None
    if len(axis_nodes) != 1:
        return None
    axis = axis_nodes[0]
    if isinstance(axis, (nodes.List, nodes.Tuple)) and len(axis.elts) == 1:
        axis = axis.elts[0]
    if isinstance(axis, nodes.UnaryOp) and axis.op == "-" and isinstance(axis.operand, nodes.Const):
        value = axis.operand.value
        return -value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(axis, nodes.Const) and isinstance(axis.value, int) and not isinstance(axis.value, bool):
        return axis.value
    return None


def _cross_entropy_in_graph(site: FixSite, softmax: Node, product: nodes.BinOp, reduce_call: nodes.Call,
                            negation: nodes.UnaryOp, axis: int) -> tuple[Node, Node, Node, TensorRef] | None:
    """Neg(Sum(Mul(y, Log(Softmax(z))), last axis)), each node made by the matching expression and read by
    nothing else than the next one (and gradient ops): (Mul, Sum, Neg, y)."""
    graph, log = site.graph, site.subject
    mul = _sole_consumer(graph, log.name, "Mul")
    total = _sole_consumer(graph, mul.name, "Sum") if mul is not None else None
    neg = _sole_consumer(graph, total.name, "Neg") if total is not None else None
    if mul is None or total is None or neg is None:
        return None
    if not (site.located_at(mul.name, product) and site.located_at(total.name, reduce_call)
            and site.located_at(neg.name, negation)):
        return None
    if total.attr("keep_dims") or len(total.inputs) < 2:
        return None
    others = [ref for ref in mul.inputs if ref.node != log.name]
    if len(others) != 1:
        return None
    labels = others[0]
    shape = site.env.value(softmax.inputs[0]).shape
    if shape is None or site.env.value(labels).shape != shape:
        return None
    rank = len(shape)
    axis_value = site.env.value(total.inputs[1])
    axis_in_graph = axis_value.value
    if rank == 0 or axis % rank != rank - 1 or axis_in_graph is None:
        return None
    if sorted(int(a) % rank for a in axis_in_graph.reshape(-1)) != [rank - 1]:
        return None
    return mul, total, neg, labels


def _sole_consumer(graph: Graph, name: str, op: str) -> Node | None:
    consumers = [graph[c] for c in graph.consumers(name) if forward_op_of(c, graph) is None]
    if len(consumers) == 1 and consumers[0].op == op:
        return consumers[0]
    return None


def _has_star_args(call: nodes.Call) -> bool:
    return any(isinstance(arg, nodes.Starred) for arg in call.args) or \
        any(keyword.arg is None for keyword in call.keywords or ())


def _preview(text: str) -> str:
    collapsed = re.sub(r"\s*\n\s*", " ", text)
    return collapsed if len(collapsed) <= _PREVIEW_LENGTH else collapsed[:_PREVIEW_LENGTH - 1] + "…"


_GENERATORS: dict[str, Callable[[FixSite], list[Candidate | None]]] = {
    "Log": _log,
    "Log1p": _log1p,
    "Exp": _exp,
    "Expm1": _exp,
    "RealDiv": _division,
    "Div": _division,
    "Reciprocal": _reciprocal,
    "Inv": _reciprocal,
    "Sqrt": _sqrt,
    "Rsqrt": _rsqrt,
}
