"""Random ops: samples lie in the range their distribution and attributes (or bound inputs) allow.

Uniform floats lie in [0, 1); uniform integers in [minval, maxval); truncated normals within two standard
deviations; shuffles and multinomial draws keep their input's values or class indices. A normal (or gamma,
Poisson) sample has no bound, so those are unbounded.
"""
from __future__ import annotations

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.transformers.registry import out, transformer, unbounded


@transformer("StatelessRandomUniform", "StatelessRandomUniformV2")
def stateless_uniform(node, inputs, ctx):
    """Samples [0, 1) in the output dtype."""
    return out(node, Interval(0.0, 1.0))


@transformer("RandomStandardNormal", "StatelessRandomNormal", "StatelessRandomNormalV2", "RandomGamma",
             "RandomPoissonV2", "StatelessRandomGetKeyCounter", "StatelessRandomGetKeyCounterAlg",
             "StatelessRandomGetAlg", "StatelessRandomUniformFullInt", "StatelessRandomUniformFullIntV2")
def unbounded_random(node, inputs, ctx):
    """Unbounded: a normal (gamma, Poisson) sample has no bound; keys, counters and full-range integers
    may be any value of their type."""
    return tuple(unbounded(node, i) for i in range(max(len(node.output_shapes), 1))) \
        if node.op in ("StatelessRandomGetKeyCounter", "StatelessRandomGetKeyCounterAlg") else unbounded(node)


@transformer("StatelessTruncatedNormal", "StatelessTruncatedNormalV2")
def stateless_truncated_normal(node, inputs, ctx):
    """A standard normal truncated at two standard deviations."""
    return out(node, Interval(-2.0, 2.0))


@transformer("ParameterizedTruncatedNormal")
def parameterized_truncated_normal(node, inputs, ctx):
    """Inside [minvals, maxvals] (inputs 3 and 4)."""
    return out(node, inputs[3].interval.join(inputs[4].interval))


@transformer("RandomUniformInt")
def random_uniform_int(node, inputs, ctx):
    """Integers in [minval, maxval - 1]."""
    lo, hi = inputs[1].interval, inputs[2].interval
    return out(node, Interval(lo.lo, max(hi.hi - 1, lo.lo)))


@transformer("StatelessRandomUniformInt", "StatelessRandomUniformIntV2")
def stateless_uniform_int(node, inputs, ctx):
    """Integers in [minval, maxval - 1] (the last two inputs)."""
    lo, hi = inputs[-2].interval, inputs[-1].interval
    return out(node, Interval(lo.lo, max(hi.hi - 1, lo.lo)))


@transformer("Multinomial", "StatelessMultinomial")
def multinomial(node, inputs, ctx):
    """Class indices in [0, number of classes - 1] (the logits' last dimension)."""
    shape = inputs[0].shape
    n = shape[-1] if shape else None
    dtype = node.output_dtype()
    return out(node, Interval(0.0, float(n - 1) if n else dtype.max))
