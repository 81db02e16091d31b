"""Every registered op type has a soundness test (a harness case here or in test_soundness.py, or a special
test), the registry rejects a second transformer for an op type, and `nanscope ops` lists the registry."""
from __future__ import annotations

import json

import pytest

from nanscope.analysis.transformers import REGISTRY
from nanscope.analysis.transformers.registry import transformer

pytestmark = pytest.mark.tensorflow
pytest.importorskip("tensorflow")


def test_every_registered_op_type_has_a_soundness_test():
    import test_soundness
    import test_soundness_extra as extra
    cases = list(test_soundness.CASES) + list(extra.EXTRA_CASES)
    covered = {c.op for c in cases} | {op for c in cases for op in c.covers}
    covered |= set(test_soundness.SPECIAL_COVERAGE) | set(test_soundness.ALIASES)
    # the special tests of test_soundness_extra record what their graphs hold; list it statically too
    covered |= set(extra.RANDOM_OPS) | set(extra.LIST_OPS) | set(extra.TENSOR_ARRAY_OPS)
    covered |= {prefix + name for name in extra.OPTIMIZER_OPS for prefix in ("Apply", "ResourceApply")}
    covered |= {"ResourceApplyKerasMomentum", "VarIsInitializedOp", "IsVariableInitialized", "AssignAddVariableOp",
                "AssignSubVariableOp", "DestroyResourceOp", "ResourceScatterAdd", "ResourceScatterSub",
                "ResourceScatterUpdate", "ResourceScatterMax", "ResourceScatterMin", "ResourceScatterMul",
                "ResourceScatterDiv", "ResourceScatterNdUpdate", "ResourceScatterNdAdd", "ResourceScatterNdSub",
                "AssignAdd", "AssignSub", "VariableShape", "TemporaryVariable", "DestroyTemporaryVariable",
                "TensorSliceDataset", "BatchDatasetV2", "RepeatDataset", "PrefetchDataset", "OptionsDataset",
                "RangeDataset", "IteratorToStringHandle", "IteratorV2", "OneShotIterator", "MakeIterator",
                "IteratorGetNext", "IteratorGetNextSync", "FIFOQueueV2", "QueueEnqueueV2", "QueueEnqueueManyV2",
                "QueueDequeueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2", "QueueSizeV2", "QueueCloseV2",
                "AnonymousIteratorV3", "StringFormat", "PrintV2", "Assert", "Empty", "RefMerge"}
    for alias, op in test_soundness.ALIASES.items():   # an alias counts only while it shares the tested op's
        assert REGISTRY[alias] is REGISTRY[op], f"{alias} no longer shares {op}'s transformer: test it"
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"transformers without a soundness test: {missing}"


def test_registry_has_at_least_200_op_types():
    assert len(REGISTRY) >= 200


def test_registering_an_op_type_twice_raises():
    with pytest.raises(ValueError, match="duplicate transformer for Relu"):
        transformer("Relu")(lambda node, inputs, ctx: inputs[0])
    with pytest.raises(ValueError, match="duplicate"):
        transformer("NanscopeTestOnlyOp", "NanscopeTestOnlyOp")(lambda node, inputs, ctx: inputs[0])
    REGISTRY.pop("NanscopeTestOnlyOp", None)
    assert "NanscopeTestOnlyOp" not in REGISTRY


def test_ops_command_lists_the_registry(capsys):
    from nanscope.analysis.cli import main
    assert main(["ops"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == sorted(REGISTRY) and len(lines) == len(set(lines))
    assert main(["ops", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == sorted(REGISTRY)
