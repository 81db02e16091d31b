"""Optimizer update ops (ApplyAdam and friends). Ref versions output the updated variable; resource
versions have no outputs.

The updated value depends on the gradient and the optimizer's slots in ways that can grow without bound
over training, so the output is unbounded (for the variable's later reads its assumed range applies).
"""
from __future__ import annotations

from nanscope.analysis.transformers.registry import transformer, unbounded

OPTIMIZERS = ("GradientDescent", "Momentum", "KerasMomentum", "Adam", "AdaMax", "RMSProp", "Adagrad", "Adadelta")


@transformer(*(f"Apply{name}" for name in OPTIMIZERS if name != "KerasMomentum"))
def apply_ref(node, inputs, ctx):
    """Unbounded: the updated variable (sound for any update)."""
    return unbounded(node)


@transformer(*(f"ResourceApply{name}" for name in OPTIMIZERS))
def apply_resource(node, inputs, ctx):
    """No outputs: the variable is updated in place."""
    return ()
