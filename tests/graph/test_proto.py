"""Our GraphDef schema agrees with TensorFlow's own descriptors on every field we declare."""
import pytest

pytestmark = pytest.mark.tensorflow
tf_protos = pytest.importorskip("tensorflow.core.framework.graph_pb2")

from nanscope.analysis.domain import dtypes  # noqa: E402
from nanscope.analysis.graph import proto  # noqa: E402


def _compare(ours, theirs, seen):
    if ours.full_name in seen:
        return
    seen.add(ours.full_name)
    for field in ours.fields:
        other = theirs.fields_by_name.get(field.name)
        assert other is not None, f"{ours.full_name}.{field.name} is not in TensorFlow's {theirs.full_name}"
        assert field.number == other.number, f"{ours.full_name}.{field.name}"
        assert field.type == other.type or {field.type, other.type} <= {field.TYPE_INT32, field.TYPE_ENUM}
        assert field.is_repeated == other.is_repeated, f"{ours.full_name}.{field.name}"
        if field.message_type is not None:
            _compare(field.message_type, other.message_type, seen)


def test_schema_matches_tensorflow():
    _compare(proto.GraphDef.DESCRIPTOR, tf_protos.GraphDef.DESCRIPTOR, set())


def test_dtype_table_matches_tensorflow():
    from tensorflow.core.framework import types_pb2
    for value in types_pb2.DataType.DESCRIPTOR.values:
        if value.number < dtypes.REF_OFFSET:
            assert dtypes.BY_NUMBER[value.number].tf_name == value.name
