"""Every registered op type has a soundness test (a harness case here or in test_soundness.py, or a special
test), the registry rejects a second transformer for an op type, and `nanscope ops` lists the registry."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from soundness_harness import covered_by_special_tests

from nanscope.analysis.transformers import REGISTRY
from nanscope.analysis.transformers.registry import transformer

pytestmark = pytest.mark.tensorflow
pytest.importorskip("tensorflow")


def test_every_registered_op_type_has_a_soundness_test():
    import test_soundness
    import test_soundness_extra as extra
    cases = list(test_soundness.CASES) + list(extra.EXTRA_CASES)
    covered = {c.op for c in cases} | {op for c in cases for op in c.covers}
    # special tests are marked with the op types their graphs hold (deleting a test uncovers them)
    covered |= covered_by_special_tests(test_soundness, extra)
    covered |= set(test_soundness.ALIASES)
    for alias, op in test_soundness.ALIASES.items():   # an alias counts only while it shares the tested op's
        assert REGISTRY[alias] is REGISTRY[op], f"{alias} no longer shares {op}'s transformer: test it"
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"transformers without a soundness test: {missing}"


def test_coverage_comes_from_the_special_tests_that_exist():
    """The marks are on the test functions: a module without one of them covers less."""
    import test_soundness_extra as extra
    everything = covered_by_special_tests(extra)
    assert set(extra.PIPELINE_OPS) <= everything
    without = SimpleNamespace(**{name: test for name, test in vars(extra).items()
                                 if name != "test_dataset_iterator_and_queue_outputs_use_configured_ranges"})
    assert not set(extra.PIPELINE_OPS) & covered_by_special_tests(without)


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
