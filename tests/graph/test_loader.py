"""GraphDef files load into our IR without TensorFlow; bad files give a GraphLoadError, never a crash."""
import subprocess
import sys

import numpy as np
import pytest

from nanscope.analysis.graph import GraphLoadError, graph_from_bytes, graph_from_text, load_graph_file
from nanscope.analysis.graph.ir import TensorRef
from nanscope.analysis.graph.loader import save_graph_file

PBTXT = b"""
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: -1 } dim { size: 3 } } } } }
node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } }
                                           float_val: 1.5 float_val: -2 float_val: 4 } } } }
node { name: "y" op: "Mul" input: "x" input: "c:0" input: "^c" attr { key: "T" value { type: DT_FLOAT } }
       attr { key: "_output_shapes" value { list { shape { dim { size: -1 } dim { size: 3 } } } } } }
node { name: "s" op: "Shape" input: "y" attr { key: "T" value { type: DT_FLOAT } }
       attr { key: "out_type" value { type: DT_INT32 } } }
versions { producer: 1882 }
"""


def test_text_graph_loads_into_ir():
    graph = graph_from_text(PBTXT)
    assert [n.name for n in graph] == ["x", "c", "y", "s"]
    y = graph["y"]
    assert y.inputs == (TensorRef("x"), TensorRef("c", 0)) and y.control_inputs == ("c",)
    assert y.output_shape() == (None, 3)
    assert graph["x"].attr("shape") == (None, 3)
    np.testing.assert_array_equal(graph["c"].attr("value"), np.array([1.5, -2, 4], dtype=np.float32))
    assert graph["s"].output_dtype().name == "int32"   # out_type, not the input's T
    assert graph.consumers("x") == ("y",)


def test_binary_round_trip(tmp_path):
    graph_def = graph_from_text(PBTXT)
    assert len(graph_def) == 4
    from google.protobuf import text_format

    from nanscope.analysis.graph import proto
    message = text_format.Parse(PBTXT.decode(), proto.GraphDef())
    data = message.SerializeToString()
    save_graph_file(data, tmp_path / "g.pb")
    save_graph_file(data, tmp_path / "g.pbtxt")
    for name in ("g.pb", "g.pbtxt"):
        assert [n.name for n in load_graph_file(tmp_path / name)] == ["x", "c", "y", "s"]


def test_topological_order_puts_inputs_first():
    text = b"""
    node { name: "b" op: "Neg" input: "a" }
    node { name: "a" op: "Const" }
    """
    assert [n.name for n in graph_from_text(text)] == ["a", "b"]


def test_v1_loop_back_edge_does_not_break_order():
    text = b"""
    node { name: "enter" op: "Enter" input: "init" }
    node { name: "merge" op: "Merge" input: "enter" input: "next" }
    node { name: "next" op: "NextIteration" input: "body" }
    node { name: "body" op: "Identity" input: "merge" }
    node { name: "init" op: "Const" }
    """
    order = [n.name for n in graph_from_text(text)]
    assert order.index("init") < order.index("enter") < order.index("merge") < order.index("body")
    assert sorted(order) == sorted(["enter", "merge", "next", "body", "init"])


@pytest.mark.parametrize("data", [b"\x08\x96\x01\xff\xff", b"node { name: ", b"\xff\xfe garbage"])
def test_corrupt_files_raise_graph_load_error(tmp_path, data):
    for suffix in (".pb", ".pbtxt"):
        path = tmp_path / f"bad{suffix}"
        path.write_bytes(data)
        with pytest.raises(GraphLoadError):
            load_graph_file(path)


def test_missing_file_raises_graph_load_error(tmp_path):
    with pytest.raises(GraphLoadError, match="cannot read"):
        load_graph_file(tmp_path / "absent.pb")


def test_empty_graph():
    assert len(graph_from_bytes(b"")) == 0


def test_loading_never_imports_tensorflow(tmp_path):
    path = tmp_path / "g.pbtxt"
    path.write_bytes(PBTXT)
    code = ("import sys; from nanscope.analysis.graph import load_graph_file; "
            f"load_graph_file({str(path)!r}); assert 'tensorflow' not in sys.modules, 'TF imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
