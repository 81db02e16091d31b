"""The registry of abstract transformers, keyed by exact TensorFlow op type.

A transformer receives the node, the abstract values of its data inputs and a `Context`, and returns the
abstract value of each output (a single `AbstractTensor` for one-output ops). Registering the same op type
twice is an error, so one op type has exactly one transformer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence, Union

from nanscope.analysis.domain.dtypes import DType
from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.graph.ir import Graph, Node

Outputs = Union[AbstractTensor, Sequence[AbstractTensor]]


@dataclass(frozen=True)
class Assumptions:
    """Ranges the analysis assumes for values it cannot see: graph inputs and trained weights."""
    ranges: Mapping[str, Interval] = field(default_factory=dict)   # by placeholder / variable name
    origins: Mapping[str, str] = field(default_factory=dict)       # why a range holds (default "given range")
    # Every tensor holds fewer elements than this (TensorFlow indexes most kernels with int32), so a product
    # of some of one tensor's dimensions is at most this.
    max_elements: int = 2 ** 31 - 1
    # Trainable float weights: unbounded by default, because training moves them; the DEBAR paper's
    # assumption of [-1, 1] is available as a setting (`--weight-range -1:1`).
    weight_range: Interval = Interval.top()

    def for_input(self, name: str, dtype: DType) -> tuple[Interval, str]:
        """(range, where it comes from) for a placeholder."""
        if name in self.ranges:
            return self.ranges[name], self.origins.get(name, "given range")
        return Interval.of_dtype(dtype), f"any {dtype.name} value"

    def for_variable(self, name: str, dtype: DType) -> tuple[Interval, str]:
        if name in self.ranges:
            return self.ranges[name], self.origins.get(name, "given range")
        if dtype.is_float:
            if not self.weight_range.is_bounded:
                return self.weight_range, "trained weight, unbounded (training moves it)"
            return self.weight_range, f"weights assumed in {self.weight_range}"
        return Interval.of_dtype(dtype), f"any {dtype.name} value"


TENSOR_MODES = ("partition", "smash", "expand")


@dataclass(frozen=True)
class AnalysisOptions:
    """The abstraction's switches (the paper's ablations): how tensors are partitioned, whether affine
    relations are tracked, whether unsafe ops may be re-checked by splitting a value's range at 0."""
    tensor: str = "partition"     # "partition": split points from ops; "smash": one block; "expand": every element
    relations: bool = True
    split: bool = True
    block_limit: int = 64         # partition mode: more blocks than this and a tensor is smashed
    expand_limit: int = 4096      # expand mode: tensors with more elements than this are smashed

    def __post_init__(self) -> None:
        if self.tensor not in TENSOR_MODES:
            raise ValueError(f"tensor mode must be one of {', '.join(TENSOR_MODES)}, not {self.tensor!r}")
        if self.block_limit < 1 or self.expand_limit < 1:
            raise ValueError("block limits must be at least 1")

    @property
    def max_blocks(self) -> int:
        return {"partition": self.block_limit, "smash": 1, "expand": self.expand_limit}[self.tensor]


@dataclass
class Context:
    """What a transformer may consult besides its inputs."""
    assumptions: Assumptions
    options: AnalysisOptions = field(default_factory=AnalysisOptions)
    graph: Graph | None = None    # the graph (or function body) being interpreted, for structural facts

    @property
    def max_blocks(self) -> int:
        return self.options.max_blocks

    @property
    def relations(self) -> bool:
        return self.options.relations


Transformer = Callable[[Node, Sequence[AbstractTensor], Context], Outputs]

REGISTRY: dict[str, Transformer] = {}


def transformer(*op_types: str) -> Callable[[Transformer], Transformer]:
    def register(fn: Transformer) -> Transformer:
        for op_type in op_types:
            if op_type in REGISTRY:
                raise ValueError(f"duplicate transformer for {op_type}: {REGISTRY[op_type].__qualname__} "
                                 f"and {fn.__qualname__}")
            REGISTRY[op_type] = fn
        return fn
    return register


# -- helpers shared by transformer modules ------------------------------------------------------------

def out(node: Node, interval: Interval, ulps: float = 0.0, index: int = 0, value=None) -> AbstractTensor:
    """An output of `node`: the interval rounded to the output's dtype, with its static shape."""
    dtype = node.output_dtype(index)
    return AbstractTensor(interval.to_dtype(dtype, ulps), dtype, node.output_shape(index), value)


def unbounded(node: Node, index: int = 0) -> AbstractTensor:
    return AbstractTensor.unbounded(node.output_dtype(index), node.output_shape(index))
