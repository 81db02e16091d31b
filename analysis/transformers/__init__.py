"""Abstract transformers, one module per op family, registered by exact TensorFlow op type.

Importing this package registers every transformer; `REGISTRY` maps op type -> transformer.
"""
from nanscope.analysis.transformers import (  # noqa: F401  (imported for their registrations)
    arithmetic,
    control_extra,
    control_flow,
    data,
    elementwise,
    layout,
    layout_extra,
    lists,
    logic,
    math_extra,
    nn,
    nn_extra,
    optimizers,
    random_ops,
    reductions,
    resources,
    shapes,
    sources,
)
from nanscope.analysis.transformers.registry import REGISTRY, Context, transformer

__all__ = ["REGISTRY", "Context", "transformer"]
