"""The analysis memo (nanscope.analysis.memo): an analysis that reuses memoised abstract values gives exactly
what a fresh one gives (every tensor's value with its blocks and affine forms, unsupported and failed ops,
function bodies, findings, proven-safe ops, notes), over hand-made graphs with relu relations, structural
transformers (Select, Prod of a Shape), an unsupported op, a failing transformer and a v1 loop, and under
random edits; a second analysis of an unchanged graph evaluates no node; an edit re-evaluates exactly the
nodes downstream of it; the language server's engine keeps one memo per entry point across saves."""
from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanscope.analysis.api import CheckOptions, analyse_graph, check_graph_file
from nanscope.analysis.domain.dtypes import BY_NAME
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.graph.ir import Graph, Node, TensorRef
from nanscope.analysis.interpreter import Interpreter
from nanscope.analysis.memo import AnalysisMemo
from nanscope.analysis.transformers.registry import REGISTRY, AnalysisOptions

F32, I32 = BY_NAME["float32"], BY_NAME["int32"]
FAILING_OP = "NanscopeTestFailingOp"


def ref(text: str) -> TensorRef:
    name, _, index = text.partition(":")
    return TensorRef(name, int(index or 0))


def op(name, kind, *inputs, dtype=F32, shape=(4, 3), **attrs) -> Node:
    return Node(name, kind, tuple(ref(i) for i in inputs),
                attrs=MappingProxyType({"T": dtype, "_output_shapes": (shape,), **attrs}))


def const(name, value, dtype=F32) -> Node:
    array = np.asarray(value, dtype=np.float32 if dtype is F32 else np.int32)
    return Node(name, "Const", attrs=MappingProxyType({"dtype": dtype, "value": array,
                                                       "_output_shapes": (tuple(array.shape),)}))


def source(name, kind="Placeholder", shape=(4, 3)) -> Node:
    return Node(name, kind, attrs=MappingProxyType({"dtype": F32, "shape": shape, "_output_shapes": (shape,)}))


def base_nodes() -> list[Node]:
    return [
        source("x"), source("y"), source("v", shape=(None, 3)), source("w", "VariableV2", shape=(3, 3)),
        const("half", 0.5), const("eps", 1e-6), const("two", 2.0), const("axis", [1], I32), const("axis0", [0], I32),
        op("a", "AddV2", "x", "y"),
        op("s", "Sub", "x", "y"),
        op("r", "Relu", "s"),
        op("ns", "Neg", "s"),
        op("r2", "Relu", "ns"),
        op("z", "Sub", "r", "r2"),            # relu(s) - relu(-s) = s: needs the relu atoms' relation
        op("zz", "Sub", "z", "s"),
        op("sq", "Sqrt", "zz"),
        op("m", "Mul", "r", "two"),
        op("e", "Exp", "m"),
        op("sm", "Softmax", "a"),
        op("sme", "AddV2", "sm", "eps"),
        op("l1", "Log", "sme"),
        op("mm", "MatMul", "x", "w", transpose_a=False, transpose_b=False),
        op("t", "Tanh", "mm"),
        op("cmp", "Greater", "x", "half"),
        op("sel", "SelectV2", "cmp", "x", "half"),          # looks at its condition's producer (Context.graph)
        op("l2", "Log", "sel"),
        op("shp", "Shape", "v", out_type=I32, shape=(2,)),
        op("prod", "Prod", "shp", "axis0", dtype=I32, shape=(), keep_dims=False, Tidx=I32),   # looks upstream too
        op("cast", "Cast", "prod", SrcT=I32, DstT=F32, shape=()),
        op("d", "RealDiv", "t", "cast"),
        op("rs", "Sum", "d", "axis", keep_dims=False, Tidx=I32, shape=(4,)),
        op("u", "FooUnknownOp", "rs", shape=(4,)),
        op("l3", "Log", "u", shape=(4,)),
        op("f", FAILING_OP, "e"),
        op("l4", "Log", "f"),
        op("out", "AddV2", "l1", "e"),
        # a v1 loop: i = 0; while i < 10: i += 1; then 2 * i
        const("i0", 0.0), const("lim", 10.0), const("one", 1.0),
        op("enter", "Enter", "i0", shape=(), frame_name="loop", is_constant=False, parallel_iterations=10),
        op("enter_lim", "Enter", "lim", shape=(), frame_name="loop", is_constant=True, parallel_iterations=10),
        op("enter_one", "Enter", "one", shape=(), frame_name="loop", is_constant=True, parallel_iterations=10),
        op("merge", "Merge", "enter", "next", shape=(), N=2),
        op("less", "Less", "merge", "enter_lim", shape=()),
        Node("cond", "LoopCond", (ref("less"),), attrs=MappingProxyType({"_output_shapes": ((),)})),
        op("sw", "Switch", "merge", "cond", shape=()),
        op("ident", "Identity", "sw:1", shape=()),
        op("inc", "AddV2", "ident", "enter_one", shape=()),
        op("next", "NextIteration", "inc", shape=()),
        op("exit", "Exit", "sw", shape=()),
        op("after", "Mul", "exit", "two", shape=()),
        op("la", "Log", "after", shape=()),
    ]


LOOP = {"merge", "less", "cond", "sw", "ident", "inc", "next", "exit", "after", "la"}
RANGES = {"x": (-1.0, 2.0), "y": (0.0, 1.0)}


def _fail(node, inputs, ctx):
    raise ArithmeticError("this transformer always fails")


@pytest.fixture(autouse=True)
def failing_transformer():
    with registered_failing_op():
        yield


@contextlib.contextmanager
def registered_failing_op():
    REGISTRY[FAILING_OP] = _fail
    try:
        yield
    finally:
        REGISTRY.pop(FAILING_OP, None)


# -- what a result is, for comparing ------------------------------------------------------------------------

def form_signature(form):
    if form is None:
        return None
    return (form.const, form.err, tuple((atom.key, atom.range.lo, atom.range.hi,
                                         None if atom.negative_part is None else
                                         (atom.negative_part.range.lo, atom.negative_part.range.hi), coef)
                                        for atom, coef in form.terms.items()))


def value_signature(value: AbstractTensor):
    return (value.dtype.name, value.shape, None if value.partition is None else value.partition.splits,
            None if value.value is None else (value.value.dtype.str, value.value.tobytes()),
            tuple((b.interval.lo, b.interval.hi, form_signature(b.form)) for b in value.blocks))


def env_signature(env):
    return ({str(r): value_signature(v) for r, v in env.values.items()}, dict(env.unsupported), dict(env.failed),
            env.loop_rounds, [(body.prefix, env_signature(body.env)) for body in env.bodies])


def report_signature(report):
    return ([(f.code, f.op_name, f.input_range, f.message, f.gradient_of, f.assumptions) for f in report.findings],
            [(p.op_name, p.op_type, p.input_range, p.split_on) for p in report.proven_safe],
            report.notes, report.unsupported_ops, report.stats.ops, report.stats.unsafe_ops, report.suppressed)


def options_for(ranges, **analysis) -> CheckOptions:
    return CheckOptions(ranges=ranges, analysis=AnalysisOptions(**analysis))


def interpret(graph: Graph, options: CheckOptions, memo: AnalysisMemo | None = None):
    return Interpreter(graph, options.assumptions(), options.analysis, memo=memo).run()


def analyse(graph: Graph, options: CheckOptions, memo: AnalysisMemo | None = None):
    return analyse_graph(graph, Path("g.pb"), options, locations={}, memo=memo)


def assert_same_as_fresh(graph, options, env_memo, report_memo):
    """With the memos, the environment and the report equal a fresh analysis's; returns the env memo's stats."""
    assert env_signature(interpret(graph, options, env_memo)) == env_signature(interpret(graph, options))
    assert report_signature(analyse(graph, options, report_memo)) == report_signature(analyse(graph, options))
    stats = env_memo.last
    assert stats.hits + len(stats.evaluated) == len(graph)
    return stats


def downstream(graph: Graph, names) -> set[str]:
    return graph.descendants(names) | set(names)


# -- the tests -----------------------------------------------------------------------------------------------

def test_the_base_graph_exercises_what_the_memo_must_replay():
    env = interpret(Graph(base_nodes()), options_for(RANGES))
    assert env.unsupported == {"FooUnknownOp": 1}
    assert set(env.failed) == {"f"}
    assert env.loop_rounds > 1
    assert env.values[TensorRef("zz")].interval.hi < 1e-5       # the relu relation held
    assert env.values[TensorRef("sel")].interval.lo == 0.5      # Select refined by its condition's producer


@pytest.mark.parametrize("analysis", [{}, {"relations": False}, {"tensor": "smash"}, {"tensor": "expand"},
                                      {"split": False}])
def test_memo_runs_equal_fresh_runs_in_every_configuration(analysis):
    graph, options = Graph(base_nodes()), options_for(RANGES, **analysis)
    env_memo, report_memo = AnalysisMemo(), AnalysisMemo()
    first = assert_same_as_fresh(graph, options, env_memo, report_memo)
    assert first.hits == 0
    again = Graph(list(base_nodes()))          # a new trace: new node objects, the same graph
    second = assert_same_as_fresh(again, options, env_memo, report_memo)
    # Everything but the loop (and nothing downstream of it) came from the memo.
    assert set(second.evaluated) == LOOP
    assert second.hits == len(graph) - len(LOOP)


def counting_registry(monkeypatch, graph: Graph) -> dict[str, int]:
    """Wrap every transformer the graph uses so that calls are counted per node."""
    calls: dict[str, int] = {}

    def wrap(fn):
        def counted(node, inputs, ctx):
            calls[node.name] = calls.get(node.name, 0) + 1
            return fn(node, inputs, ctx)
        return counted

    for kind in graph.op_types:
        if kind in REGISTRY:
            monkeypatch.setitem(REGISTRY, kind, wrap(REGISTRY[kind]))
    return calls


def without_loop() -> list[Node]:
    return [n for n in base_nodes() if n.name not in LOOP | {"i0", "lim", "one", "enter", "enter_lim", "enter_one"}]


def test_a_second_analysis_of_the_same_graph_evaluates_no_node(monkeypatch):
    graph = Graph(without_loop())
    calls = counting_registry(monkeypatch, graph)
    options = options_for(RANGES, split=False)    # splitting re-evaluates nodes case by case, never memoised
    memo = AnalysisMemo()
    fresh = report_signature(analyse(graph, options, memo))
    first_calls = sum(calls.values())
    assert first_calls >= len(graph) - 1           # every node but the unsupported one
    calls.clear()
    assert report_signature(analyse(Graph(without_loop()), options, memo)) == fresh
    assert calls == {}
    assert memo.last.evaluated == [] and memo.last.hits == len(graph)


def test_an_edit_near_the_output_re_evaluates_only_what_is_downstream(monkeypatch):
    nodes = without_loop()
    graph = Graph(nodes)
    calls = counting_registry(monkeypatch, graph)
    options = options_for(RANGES, split=False)
    memo = AnalysisMemo()
    interpret(graph, options, memo)
    edited = Graph([const("eps", 1e-3) if n.name == "eps" else n for n in nodes])
    calls.clear()
    env = interpret(edited, options, memo)
    expected = downstream(edited, ["eps"])
    assert expected == {"eps", "sme", "l1", "out"}
    assert set(memo.last.evaluated) == expected and set(calls) == expected
    assert all(count == 1 for count in calls.values())
    assert env_signature(env) == env_signature(interpret(edited, options))
    assert env.values[TensorRef("sme")].interval.lo > 1e-3


def test_changing_a_range_re_evaluates_what_depends_on_that_input_only():
    graph = Graph(without_loop())
    memo, report_memo = AnalysisMemo(), AnalysisMemo()
    assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo)
    stats = assert_same_as_fresh(graph, options_for({**RANGES, "y": (0.0, 3.0)}), memo, report_memo)
    assert set(stats.evaluated) == downstream(graph, ["y"])


def test_changing_analysis_options_empties_the_memo():
    graph = Graph(without_loop())
    memo, report_memo = AnalysisMemo(), AnalysisMemo()
    assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo)
    stats = assert_same_as_fresh(graph, options_for(RANGES, tensor="smash"), memo, report_memo)
    assert stats.hits == 0
    stats = assert_same_as_fresh(graph, options_for(RANGES, tensor="smash"), memo, report_memo)
    assert stats.evaluated == []
    weights = replace(options_for(RANGES, tensor="smash"), weight_range=(-1.0, 1.0))   # an assumption for all
    assert assert_same_as_fresh(graph, weights, memo, report_memo).hits == 0


def test_splitting_sees_the_same_values_with_a_memo():
    """Predicate splitting re-evaluates cases with overrides; it must see the same values with a memo (the
    relu_split precision graph: log(exp(-relu(x)) + exp(x - relu(x)) - 0.5) is proven only by splitting)."""
    nodes = [source("x", shape=()), const("half", 0.5),
             op("r", "Relu", "x", shape=()), op("nr", "Neg", "r", shape=()), op("e1", "Exp", "nr", shape=()),
             op("d", "Sub", "x", "r", shape=()), op("e2", "Exp", "d", shape=()),
             op("s", "AddV2", "e1", "e2", shape=()), op("s2", "Sub", "s", "half", shape=()),
             op("l", "Log", "s2", shape=())]
    options = options_for({"x": (-50.0, 40.0)})
    memo, report_memo = AnalysisMemo(), AnalysisMemo()
    for _ in range(2):
        assert_same_as_fresh(Graph(nodes), options, memo, report_memo)
        report = analyse(Graph(nodes), options, report_memo)
        assert ("l", "x") in [(p.op_name, p.split_on) for p in report.proven_safe] and not report.findings
    assert memo.last.evaluated == []


def test_a_bounded_memo_keeps_the_first_entries_and_stays_exact():
    """Over the bound, the entries of the first nodes in topological order are kept (their upstream too)."""
    graph = Graph(without_loop())
    memo, report_memo = AnalysisMemo(max_entries=5), AnalysisMemo(max_entries=5)
    assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo)
    assert len(memo) == 5
    stats = assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo)
    assert stats.hits == 5


def test_a_reset_of_the_relu_numbering_empties_the_memo(monkeypatch):
    from nanscope.analysis.domain import affine
    from nanscope.analysis.memo import relu_numbering_epoch

    graph = Graph(without_loop())
    memo, report_memo = AnalysisMemo(), AnalysisMemo()
    assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo)
    before = relu_numbering_epoch()
    with monkeypatch.context() as patch:     # the table reaches its size limit and is forgotten
        patch.setattr(affine, "_MAX_RELU_NUMBERS", len(affine._RELU_NUMBERS))
        affine._relu_key(("a base no graph has", object()))
    assert relu_numbering_epoch() != before
    stats = assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo)
    assert stats.hits == 0
    assert assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo).evaluated == []


def test_an_attribute_of_unknown_type_is_never_memoised():
    class Opaque:
        pass

    nodes = without_loop()
    odd = op("odd", "Identity", "x", weird=Opaque())
    graph = Graph([*nodes, odd, op("after_odd", "Relu", "odd")])
    memo, report_memo = AnalysisMemo(), AnalysisMemo()
    assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo)
    stats = assert_same_as_fresh(graph, options_for(RANGES), memo, report_memo)
    assert set(stats.evaluated) == {"odd", "after_odd"}


def test_attribute_values_equal_in_python_but_of_another_type_are_different():
    """1 == 1.0 == True in Python, but a transformer may treat them differently: no hit across them."""
    memo = AnalysisMemo()
    interpret(Graph([source("x")]), options_for({}), memo)
    for value in (1, 1.0, True, (1,), (1.0,), np.array([1], np.int32), np.array([1], np.int64)):
        graph = Graph([source("x"), op("i", "Identity", "x", marker=value)])
        interpret(graph, options_for({}), memo)
        assert memo.last.evaluated == ["i"]


def test_the_order_of_attributes_does_not_matter():
    """TensorFlow's attribute maps come in a different order from one parse to the next."""
    nodes = without_loop()
    memo = AnalysisMemo()
    interpret(Graph(nodes), options_for(RANGES), memo)
    reordered = [replace(n, attrs=MappingProxyType(dict(reversed(list(n.attrs.items()))))) for n in nodes]
    assert any(list(a.attrs) != list(b.attrs) for a, b in zip(nodes, reordered))
    interpret(Graph(reordered), options_for(RANGES), memo)
    assert memo.last.evaluated == []


# -- random edits ----------------------------------------------------------------------------------------------

UNARY = ("Relu", "Neg", "Identity", "Abs", "Exp", "Tanh")
EDITABLE_INPUTS = ("a", "s", "r", "ns", "r2", "z", "m", "e", "sm", "sme", "l1", "t", "sel", "d", "out", "l2")
REMOVABLE = ("r", "ns", "r2", "e", "sm", "t", "l1", "sme")
NAMES = [n.name for n in base_nodes()]

edit_strategy = st.one_of(
    st.tuples(st.just("const"), st.sampled_from(["half", "eps", "two", "i0", "lim", "one"]),
              st.floats(-3.0, 12.0, allow_nan=False)),
    st.tuples(st.just("range"), st.sampled_from(["x", "y", "v", "w"]),
              st.tuples(st.floats(-5.0, 5.0), st.floats(0.0, 5.0))),
    st.tuples(st.just("insert"), st.sampled_from(EDITABLE_INPUTS), st.sampled_from(UNARY)),
    st.tuples(st.just("remove"), st.sampled_from(REMOVABLE), st.just(None)),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.just(None)),
)


def apply_edit(nodes: list[Node], ranges: dict, edit, serial: int) -> tuple[list[Node], dict]:
    kind, target, argument = edit
    by_name = {n.name: n for n in nodes}
    if target not in by_name and kind != "range":
        return nodes, ranges
    if kind == "const":
        return [const(target, argument) if n.name == target else n for n in nodes], ranges
    if kind == "range":
        lo, width = argument
        return nodes, {**ranges, target: (lo, lo + width)}
    if kind == "insert":            # a unary op between `target` and its first input
        consumer = by_name[target]
        producer = by_name.get(consumer.inputs[0].node)
        shape = producer.output_shape(consumer.inputs[0].index) if producer else None
        new = op(f"ins{serial}", argument, str(consumer.inputs[0]), shape=shape)
        moved = replace(consumer, inputs=(TensorRef(new.name),) + consumer.inputs[1:])
        return [n for node in nodes for n in ((new, moved) if node is consumer else (node,))], ranges
    if kind == "remove":            # consumers of a unary op read its input instead
        removed = by_name[target]
        bypass = removed.inputs[0]
        return [replace(n, inputs=tuple(bypass if r.node == target else r for r in n.inputs))
                for n in nodes if n is not removed], ranges
    new_name = f"{target}_renamed{serial}"
    renamed = [replace(n, name=new_name) if n.name == target else n for n in nodes]
    return [replace(n, inputs=tuple(TensorRef(new_name, r.index) if r.node == target else r for r in n.inputs))
            for n in renamed], ranges


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(st.lists(edit_strategy, min_size=1, max_size=3), st.sampled_from([{}, {"relations": False},
                                                                          {"tensor": "smash"}]))
def test_random_edits_between_two_analyses_sharing_a_memo(edits, analysis):
    nodes, ranges = base_nodes(), dict(RANGES)
    memo, report_memo = AnalysisMemo(), AnalysisMemo()
    assert_same_as_fresh(Graph(nodes), options_for(ranges, **analysis), memo, report_memo)
    edited, edited_ranges = nodes, ranges
    for serial, edit in enumerate(edits):
        edited, edited_ranges = apply_edit(edited, edited_ranges, edit, serial)
    stats = assert_same_as_fresh(Graph(edited), options_for(edited_ranges, **analysis), memo, report_memo)
    assert stats.hits > 0              # the memo took part (no edit touches every node)
    assert_same_as_fresh(Graph(nodes), options_for(ranges, **analysis), memo, report_memo)   # and back


# -- function-library ops (TensorFlow) -------------------------------------------------------------------------

@pytest.mark.tensorflow
def test_function_calls_are_evaluated_again_and_what_follows_them_is_reused():
    tf = pytest.importorskip("tensorflow")
    from nanscope.analysis.graph import graph_from_bytes

    v1 = tf.compat.v1

    @tf.function
    def body(x):
        _, y = tf.while_loop(lambda i, y: i < 5, lambda i, y: (i + 1, y * 0.5 + 1.0), [tf.constant(0), x])
        return tf.math.log(y + 1.0)

    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [4], name="x")
        y = body(x)
        tf.math.log(tf.nn.relu(y) + 1.0, name="z")
    graph = graph_from_bytes(g.as_graph_def(add_shapes=True).SerializeToString())
    calls = {n.name for n in graph if n.op in ("PartitionedCall", "StatefulPartitionedCall")}
    assert calls
    options = options_for({"x": (0.0, 1.0)})
    memo, report_memo = AnalysisMemo(), AnalysisMemo()
    assert_same_as_fresh(graph, options, memo, report_memo)
    env = interpret(graph, options)
    assert env.bodies                                   # the bodies were evaluated (and are checked)
    stats = assert_same_as_fresh(graph_from_bytes(g.as_graph_def(add_shapes=True).SerializeToString()),
                                 options, memo, report_memo)
    assert set(stats.evaluated) == calls                # only the calls; what uses their results is reused
    assert "z" not in stats.evaluated


# -- the language server keeps a memo per entry point ----------------------------------------------------------

def graph_text(eps: float) -> str:
    return (
        'node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }\n'
        'node { name: "p" op: "Softmax" input: "x" attr { key: "T" value { type: DT_FLOAT } } }\n'
        'node { name: "eps" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } '
        f'attr {{ key: "value" value {{ tensor {{ dtype: DT_FLOAT tensor_shape {{ }} float_val: {eps} }} }} }} }}\n'
        'node { name: "q" op: "AddV2" input: "p" input: "eps" attr { key: "T" value { type: DT_FLOAT } } }\n'
        'node { name: "l" op: "Log" input: "q" attr { key: "T" value { type: DT_FLOAT } } }\n'
        'node { name: "e" op: "Exp" input: "x" attr { key: "T" value { type: DT_FLOAT } } }\n'
    )


def test_the_engine_reuses_one_memo_per_entry_point_across_saves(tmp_path):
    from nanscope.server.engine import Traced, TracingEngine
    from nanscope.server.settings import Settings

    model, other = tmp_path / "model.pbtxt", tmp_path / "other.pbtxt"
    model.write_text(graph_text(0.0))
    other.write_text(graph_text(1e-7))
    engine, plain = TracingEngine(), Settings()

    def save_and_analyse(path: Path, settings: Settings = plain):
        report = engine.analyse(Traced(path, frozenset({path}), status="graph"), settings, tmp_path)
        assert report_signature(report) == report_signature(check_graph_file(path, CheckOptions(
            project_root=tmp_path)))
        return report, engine.memo_for(path, None, settings)

    report, memo = save_and_analyse(model)
    assert {f.op_name for f in report.findings} == {"l", "e"}
    assert memo.last.hits == 0
    report, again = save_and_analyse(model)                    # saved unchanged: nothing evaluated
    assert again is memo and memo.last.evaluated == []
    _, other_memo = save_and_analyse(other)                    # another entry point has its own memo
    assert other_memo is not memo and other_memo.last.hits == 0
    model.write_text(graph_text(1e-7))                          # the fix: only eps and what follows it
    report, again = save_and_analyse(model)
    assert again is memo and set(memo.last.evaluated) == {"eps", "q", "l"}
    assert {f.op_name for f in report.findings} == {"e"}
    smash = replace(plain, tensor="smash")                      # other analysis settings: a new memo
    _, smashed = save_and_analyse(model, smash)
    assert smashed is not memo and smashed.last.hits == 0
    engine.stop()
    assert engine.memo_for(model, None, smash) is not smashed
