"""More neural-network ops: batch normalisation, 3-D and depthwise convolution, pooling in 3-D, resizing,
losses, Einsum, and the gradient ops TensorFlow emits for training graphs.

Sums of products are bounded like MatMul (count of terms times the product interval, plus accumulated
rounding, see accumulate.py). Interpolations are convex combinations (inside the input's hull) except
bicubic, whose weights may be negative. Gradient kernels are products and sums of their inputs.
"""
from __future__ import annotations

import math
import re

from nanscope.analysis.domain.dtypes import FLOAT32
from nanscope.analysis.domain.interval import INF, Interval
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.transformers.accumulate import dims_product, sum_of_terms
from nanscope.analysis.transformers.blockwise import zip_blocks
from nanscope.analysis.transformers.elementwise import TRANSCENDENTAL_ULPS
from nanscope.analysis.transformers.math_extra import widen
from nanscope.analysis.transformers.registry import out, transformer, unbounded

ZERO = Interval(0.0, 0.0)


def _with_zero(x: Interval) -> Interval:
    return x.join(ZERO)


def _known_product(shape, axes=None) -> int | None:
    if shape is None:
        return None
    return dims_product(shape, range(len(shape)) if axes is None else axes)


def _magnitude(x: Interval) -> float:
    return max(abs(x.lo), abs(x.hi))


# -- batch normalisation -----------------------------------------------------------------------------------

@transformer("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def fused_batch_norm(node, inputs, ctx):
    """Inference: (x - mean) * scale / sqrt(var + eps) + offset on the given statistics. Training: the
    kernel centres c = x - m and divides by sqrt(mean(c^2) + eps), so |z| <= sqrt(N) (N elements per
    channel) and <= (spread + error of m) / sqrt(eps); the batch mean lies in x's range (plus rounding),
    the Bessel-corrected variance in [0, 2 (spread + error)^2]; both are joined with the running
    statistics (exponential averaging). Magnitudes whose squares may overflow leave outputs unbounded."""
    x, scale, offset, mean, variance = (inputs[i].interval for i in range(5))
    dtype = node.output_dtype()
    eps = float(node.attr("epsilon", 1e-3))
    training = node.attr("is_training", True)
    count = len(node.output_shapes) or (6 if node.op == "FusedBatchNormV3" else 5)
    outputs = [unbounded(node, i) for i in range(count)]
    limit = math.sqrt(dtype.max) / 4
    if not training:
        denominator = variance + Interval(eps, eps)
        if denominator.lo > 0 and x.is_bounded and mean.is_bounded and _magnitude(x) + _magnitude(mean) < limit:
            inv = widen(Interval(1.0 / math.sqrt(denominator.hi), 1.0 / math.sqrt(denominator.lo)), dtype,
                        TRANSCENDENTAL_ULPS)
            y = widen(widen(x - mean, dtype, 1) * widen(scale * inv, dtype, 1), dtype, 1) + offset
            outputs[0] = out(node, widen(y, dtype, 2), index=0)
        outputs[1] = out(node, mean, index=1)
        outputs[2] = out(node, variance, index=2)
        return tuple(outputs)
    shape = inputs[0].shape
    n = None
    if shape is not None and len(shape) >= 2:
        channel = len(shape) - 1 if (node.attr("data_format") or "NHWC") in ("NHWC", "NDHWC") else 1
        n = dims_product(shape, [a for a in range(len(shape)) if a != channel])
    if not (x.is_bounded and _magnitude(x) < limit):
        return tuple(outputs)
    spread = x.hi - x.lo
    err = ((n + 2) * dtype.eps * _magnitude(x) + 2 * dtype.tiny) if n is not None else INF
    if n is not None:
        outputs[1] = out(node, Interval(x.lo - err, x.hi + err).join(mean), index=1)
        if n >= 2:
            reach = (spread + 2 * err) * (1 + 8 * dtype.eps)
            outputs[2] = out(node, Interval(0.0, 2 * reach * reach + dtype.tiny).join(variance), ulps=n + 4,
                             index=2)
    bound = (spread + 2 * err) / math.sqrt(eps) if eps > 0 and n is not None else INF
    if n is not None:
        bound = min(bound, math.sqrt(n))
    if eps > 0 and _magnitude(scale) / math.sqrt(eps) > dtype.max / 4:
        bound = INF   # rsqrt(var + eps) * scale may overflow: inf * 0 is NaN
    if math.isfinite(bound):
        bound = bound * (1 + 64 * dtype.eps) + 64 * dtype.eps
        z = Interval(-bound, bound)
        outputs[0] = out(node, widen(widen(z * scale, dtype, 2) + offset, dtype, 1), index=0)
    return tuple(outputs)


@transformer("FusedBatchNormGrad", "FusedBatchNormGradV2", "FusedBatchNormGradV3")
def fused_batch_norm_grad(node, inputs, ctx):
    """offset_backprop sums y_backprop over N elements per channel; the other gradients divide by the
    batch's standard deviation and are left unbounded."""
    dy = inputs[0]
    dtype = node.output_dtype()
    count = len(node.output_shapes) or 5
    outputs = [unbounded(node, i) for i in range(count)]
    shape = dy.shape
    n = None
    if shape is not None:
        channels_last = (node.attr("data_format") or "NHWC") in ("NHWC", "NDHWC")
        n = dims_product(shape, [a for a in range(len(shape)) if a != (len(shape) - 1 if channels_last else 1)])
    outputs[2] = out(node, sum_of_terms(dy.interval, n, dtype), index=2)
    return tuple(outputs)


# -- convolution and pooling -------------------------------------------------------------------------------

def _conv(node, x: Interval, w: Interval, count: int | None, padded: bool) -> AbstractTensor:
    term = x * w
    if padded:
        term = _with_zero(term)
    return out(node, sum_of_terms(term, count, node.output_dtype()))


@transformer("Conv3D")
def conv3d(node, inputs, ctx):
    """Each output sums kd*kh*kw*in_channels products (zeros where SAME padding reaches)."""
    w = inputs[1].shape
    count = _known_product(w[:4]) if w is not None and len(w) == 5 else None
    return _conv(node, inputs[0].interval, inputs[1].interval, count, node.attr("padding") != "VALID")


@transformer("DepthwiseConv2dNative")
def depthwise_conv2d(node, inputs, ctx):
    """Each output sums kh*kw products of one input channel (zeros where padding reaches)."""
    w = inputs[1].shape
    count = _known_product(w[:2]) if w is not None and len(w) == 4 else None
    return _conv(node, inputs[0].interval, inputs[1].interval, count, node.attr("padding") != "VALID")


@transformer("Conv2DBackpropInput", "DepthwiseConv2dNativeBackpropInput")
def conv2d_backprop_input(node, inputs, ctx):
    """Each input gradient sums at most kh*kw*out_channels (depthwise: kh*kw*multiplier) products of a
    weight and an output gradient; fewer with strides or at borders (zeros)."""
    w = inputs[1].shape
    count = _known_product(w[:2] + w[3:]) if w is not None and len(w) == 4 else None
    return _conv(node, inputs[1].interval, inputs[2].interval, count, True)


@transformer("Conv2DBackpropFilter", "DepthwiseConv2dNativeBackpropFilter")
def conv2d_backprop_filter(node, inputs, ctx):
    """Each weight gradient sums batch*out_h*out_w products of an input element and an output gradient,
    one per output position (zeros where padding reaches)."""
    dy = inputs[2].shape
    count = None
    if dy is not None and len(dy) == 4:
        channel = 1 if node.attr("data_format") == "NCHW" else 3
        count = dims_product(dy, [a for a in range(4) if a != channel])
    return _conv(node, inputs[0].interval, inputs[2].interval, count, True)


@transformer("MaxPool3D")
def max_pool3d(node, inputs, ctx):
    """Exact: every output is one of the input elements."""
    return out(node, inputs[0].interval)


@transformer("AvgPool3D")
def avg_pool3d(node, inputs, ctx):
    """A mean of window elements lies within the input range, plus the rounding of the window's sum
    (which may overflow) and of the division."""
    x = inputs[0].interval
    dtype = node.output_dtype()
    ksize = node.attr("ksize") or ()
    window = math.prod(ksize) if ksize else None
    if window is None or not x.is_bounded or window * _magnitude(x) > dtype.max:
        return out(node, Interval(-INF, INF))
    err = window * (dtype.eps * _magnitude(x) + dtype.tiny)
    return out(node, Interval(x.lo - err, x.hi + err), ulps=1)


def _windows_per_element(node) -> int | None:
    """How many pooling windows may cover one input element: prod(ceil(k / s)) over the axes."""
    ksize, strides = node.attr("ksize"), node.attr("strides")
    if not ksize or not strides or len(ksize) != len(strides):
        return None
    return math.prod(math.ceil(k / max(s, 1)) for k, s in zip(ksize, strides))


@transformer("MaxPoolGrad", "MaxPool3DGrad")
def max_pool_grad(node, inputs, ctx):
    """Each window routes its gradient to one input element: an element gets the sum of up to m
    gradients (m windows may cover it), or 0."""
    m = _windows_per_element(node)
    return out(node, sum_of_terms(_with_zero(inputs[2].interval), m, node.output_dtype()))


@transformer("AvgPoolGrad", "AvgPool3DGrad")
def avg_pool_grad(node, inputs, ctx):
    """Each covering window adds its gradient divided by the window's size (>= 1): terms between 0 and the
    gradient; up to m windows cover an element."""
    m = _windows_per_element(node)
    term = _with_zero(inputs[1].interval)
    return out(node, sum_of_terms(term, m, node.output_dtype()), ulps=2)


# -- resizing ----------------------------------------------------------------------------------------------

@transformer("ResizeBilinear")
def resize_bilinear(node, inputs, ctx):
    """A convex combination of four input elements, computed as top + (bottom - top) * weight: within the
    input's hull plus rounding; unbounded when the differences may overflow."""
    x = inputs[0].interval
    if not x.is_bounded or x.hi - x.lo > FLOAT32.max / 2:
        return AbstractTensor(Interval(-INF, INF), FLOAT32, node.output_shape())
    err = 8 * FLOAT32.eps * _magnitude(x) + 8 * FLOAT32.tiny
    return AbstractTensor(Interval(x.lo - err, x.hi + err).to_dtype(FLOAT32, 0), FLOAT32, node.output_shape())


@transformer("ResizeNearestNeighbor")
def resize_nearest(node, inputs, ctx):
    """Exact: every output is one of the input elements."""
    return out(node, inputs[0].interval)


@transformer("ResizeBicubic")
def resize_bicubic(node, inputs, ctx):
    """16 weights per output summing to 1 whose absolute values sum to at most 1.5 per axis (Keys' cubic
    with a = -0.75 or -0.5): within center +- 2.25 * half-width of the input range, plus rounding."""
    x = inputs[0].interval
    dtype = FLOAT32   # the output is float32 whatever the input type
    if not x.is_bounded or 4 * _magnitude(x) > dtype.max:
        return AbstractTensor(Interval(-INF, INF), dtype, node.output_shape())
    center, half = (x.lo + x.hi) / 2, (x.hi - x.lo) / 2
    reach = 2.25 * half + 32 * dtype.eps * _magnitude(x) + 32 * dtype.tiny
    return AbstractTensor(Interval(center - reach, center + reach).to_dtype(dtype, 1), dtype, node.output_shape())


# -- losses ------------------------------------------------------------------------------------------------

def _log_softmax_bound(logits: AbstractTensor) -> float:
    """-log_softmax <= spread + log(n) for logits in a range of width `spread` over n classes."""
    x = logits.interval
    n = logits.shape[-1] if logits.shape else None
    if n is None or not x.is_bounded:
        return INF
    return (x.hi - x.lo) + math.log(n)


@transformer("SoftmaxCrossEntropyWithLogits")
def softmax_cross_entropy(node, inputs, ctx):
    """loss = sum_j labels_j * (-log_softmax_j), each factor in [0, spread + log n]; backprop =
    softmax - labels with softmax in [0, 1]."""
    features, labels = inputs[0], inputs[1]
    dtype = node.output_dtype()
    n = features.shape[-1] if features.shape else None
    bound = _log_softmax_bound(features)
    if features.interval.hi - features.interval.lo > dtype.max / 2:
        bound = INF   # x - max(x) may overflow to -inf, and a zero label times it is NaN
    term = labels.interval * widen(Interval(0.0, bound), dtype, (n or 0) + 8)
    loss = sum_of_terms(term, n, dtype) if math.isfinite(bound) else Interval(-INF, INF)
    backprop = widen(Interval(0.0, 1.0) - labels.interval, dtype, 4)
    return out(node, widen(loss, dtype, 4), index=0), out(node, backprop, index=1)


@transformer("SparseSoftmaxCrossEntropyWithLogits")
def sparse_softmax_cross_entropy(node, inputs, ctx):
    """loss = -log_softmax[label] in [0, spread + log n]; backprop = softmax - one_hot in [-1, 1]."""
    features = inputs[0]
    dtype = node.output_dtype()
    n = features.shape[-1] if features.shape else None
    loss = widen(Interval(0.0, _log_softmax_bound(features)), dtype, (n or 0) + 8)
    return out(node, loss, index=0), out(node, Interval(-1.0, 1.0), index=1)


@transformer("L2Loss")
def l2_loss(node, inputs, ctx):
    """sum(x ** 2) / 2 over every element: count squares, each rounded."""
    x = inputs[0]
    dtype = node.output_dtype()
    v = x.interval
    square = Interval(0.0 if v.contains(0.0) else min(v.lo * v.lo, v.hi * v.hi), max(v.lo * v.lo, v.hi * v.hi))
    square = widen(square, dtype, 1)
    total = sum_of_terms(square.scale(0.5, 0.5), x.num_elements(), dtype)
    return AbstractTensor(total.to_dtype(dtype, 1), dtype, node.output_shape() or ())


# -- Einsum ------------------------------------------------------------------------------------------------

def _einsum_labels(spec: str, shape) -> dict[str, int | None] | None:
    """Label -> dimension for one operand (None when the shape does not tell)."""
    if "..." in spec:
        head, tail = spec.split("...")
        if shape is None:
            return {c: None for c in head + tail}
        dims = dict(zip(head, shape[:len(head)]))
        dims.update(zip(tail, shape[len(shape) - len(tail):] if tail else ()))
        return dims
    if shape is None or len(shape) != len(spec):
        return {c: None for c in spec}
    return dict(zip(spec, shape))


@transformer("Einsum")
def einsum(node, inputs, ctx):
    """Each output element sums the products of one element of every operand over the labels absent from
    the output: their dimensions' product is the number of terms."""
    equation = (node.attr("equation") or "").replace(" ", "")
    if isinstance(equation, bytes):
        equation = equation.decode()
    operands_spec, arrow, result = equation.partition("->")
    specs = operands_spec.split(",")
    term = inputs[0].interval
    for x in inputs[1:]:
        term = term * x.interval
    count: int | None = None
    if len(specs) == len(inputs) and re.fullmatch(r"[A-Za-z.,]*", operands_spec) and arrow:
        dims: dict[str, int | None] = {}
        for spec, x in zip(specs, inputs):
            labels = _einsum_labels(spec, x.shape)
            if labels is None:
                dims = {}
                break
            for label, dim in labels.items():
                if dims.get(label) is None:
                    dims[label] = dim
        summed = {c for spec in specs for c in spec if c != "."} - set(result)
        ellipsis_summed = any("..." in s for s in specs) and "..." not in result
        if dims and not ellipsis_summed and all(dims.get(c) is not None for c in summed):
            count = math.prod(dims[c] for c in summed)
    return out(node, sum_of_terms(term, count, node.output_dtype()))


# -- gradient ops of activations ---------------------------------------------------------------------------

def _binary(node, inputs, ctx, fn, ulps: float, power: int = 0):
    """Blockwise fn(first, second), rounded; with `power`, unbounded when the first input raised to it
    may overflow (an infinite intermediate times a zero gradient is NaN)."""
    dtype = node.output_dtype()

    def block(a, b):
        if power and dtype.is_float and _magnitude(a.interval) ** power > dtype.max / 4:
            return Interval(-INF, INF), None
        result = fn(a.interval, b.interval)
        if dtype.is_float and not result.contains(0.0):
            # an intermediate product below the smallest normal is flushed to 0 (and the result with it):
            # possible when the result is within tiny times the other factors' magnitude of 0
            reach = dtype.tiny * max(1.0, _magnitude(a.interval), _magnitude(b.interval), 2.0) ** 2
            if min(abs(result.lo), abs(result.hi)) < reach:
                result = result.join(ZERO)
        return widen(result, dtype, ulps), None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=0)


@transformer("ReluGrad", "Relu6Grad")
def relu_grad(node, inputs, ctx):
    """The gradient where the feature is in the active region, else 0: the gradient's range, or 0, or both
    (a subnormal feature may be read as 0)."""
    dtype = node.output_dtype()
    tiny = dtype.tiny if dtype.is_float else 1.0

    def fn(g, f):
        active = f.lo >= tiny and (node.op == "ReluGrad" or f.hi < 6)
        if active:
            return g
        if f.hi <= 0:
            return ZERO
        return _with_zero(g)
    return _binary(node, inputs, ctx, fn, 0)


@transformer("LeakyReluGrad")
def leaky_relu_grad(node, inputs, ctx):
    """g where features > 0, alpha * g elsewhere: the join of both."""
    alpha = Interval.point(float(node.attr("alpha", 0.2)))
    return _binary(node, inputs, ctx, lambda g, f: g.join(g * alpha), 1)


@transformer("EluGrad")
def elu_grad(node, inputs, ctx):
    """g where outputs > 0, g * (outputs + 1) elsewhere (an Elu output is >= -1, but the op takes any)."""
    def fn(g, y):
        if y.lo > 0:
            return g
        factor = Interval(y.lo, min(y.hi, 0.0)) + Interval(1.0, 1.0)
        return (g * factor).join(g) if y.hi > 0 else g * factor
    return _binary(node, inputs, ctx, fn, 2)


@transformer("SeluGrad")
def selu_grad(node, inputs, ctx):
    """g * scale where outputs > 0, g * (outputs + scale * alpha) elsewhere."""
    from nanscope.analysis.transformers.math_extra import SELU_ALPHA, SELU_SCALE
    limit = SELU_SCALE * SELU_ALPHA

    tiny = node.output_dtype().tiny

    def fn(g, y):
        parts = []
        if y.hi > -tiny:   # outputs >= 0 (a subnormal may be read as 0) take the scale branch
            parts.append(g * Interval.point(SELU_SCALE))
        if y.lo < 0:
            factor = Interval(y.lo, min(y.hi, 0.0)) + Interval(limit, limit)
            parts.append(g * factor)
        result = parts[0]
        for p in parts[1:]:
            result = result.join(p)
        return result
    return _binary(node, inputs, ctx, fn, 3)


@transformer("SigmoidGrad")
def sigmoid_grad(node, inputs, ctx):
    """dy * y * (1 - y): the interval product (dependency between the factors ignored: wider, sound)."""
    dtype = node.output_dtype()
    return _binary(node, inputs, ctx, lambda y, dy: widen(dy * y, dtype, 1) * widen(Interval(1.0, 1.0) - y, dtype, 1),
                   2, power=2)


@transformer("TanhGrad")
def tanh_grad(node, inputs, ctx):
    """dy * (1 - y * y), with y * y as a square; each step rounded (1 - y*y cancels near |y| = 1, so the
    square's rounding error is absolute, not relative to the result)."""
    dtype = node.output_dtype()

    def fn(y, dy):
        sq = Interval(0.0 if y.contains(0.0) else min(y.lo * y.lo, y.hi * y.hi), max(y.lo * y.lo, y.hi * y.hi))
        return dy * widen(Interval(1.0, 1.0) - widen(sq, dtype, 1), dtype, 1)
    return _binary(node, inputs, ctx, fn, 4, power=2)


@transformer("SoftplusGrad")
def softplus_grad(node, inputs, ctx):
    """g * sigmoid(features), with the sigmoid in [0, 1]."""
    return _binary(node, inputs, ctx, lambda g, f: g * Interval(0.0, 1.0), 4)


@transformer("SoftsignGrad")
def softsign_grad(node, inputs, ctx):
    """g / (1 + |features|)^2, a factor in (0, 1]."""
    return _binary(node, inputs, ctx, lambda g, f: g * Interval(0.0, 1.0), 4)


@transformer("RsqrtGrad")
def rsqrt_grad(node, inputs, ctx):
    """-0.5 * dy * y^3."""
    def fn(y, dy):
        cube = Interval(y.lo ** 3 if math.isfinite(y.lo) else y.lo, y.hi ** 3 if math.isfinite(y.hi) else y.hi) \
            if _magnitude(y) < 1e100 or not y.is_bounded else Interval(-INF, INF)
        return dy * cube * Interval(-0.5, -0.5)
    return _binary(node, inputs, ctx, fn, 4, power=3)


@transformer("SqrtGrad")
def sqrt_grad(node, inputs, ctx):
    """0.5 * dy / y: unbounded when y may be 0. TensorFlow multiplies by a reciprocal, which is flushed to 0
    below the smallest normal, so the reciprocal is rounded (and flushed) first."""
    dtype = node.output_dtype()
    return _binary(node, inputs, ctx,
                   lambda y, dy: dy * Interval(0.5, 0.5) * y.reciprocal().to_dtype(dtype, 2), 3)


@transformer("ReciprocalGrad", "InvGrad")
def reciprocal_grad(node, inputs, ctx):
    """-dy * y * y."""
    def fn(y, dy):
        sq = Interval(0.0 if y.contains(0.0) else min(y.lo * y.lo, y.hi * y.hi), max(y.lo * y.lo, y.hi * y.hi))
        return -(dy * sq)
    return _binary(node, inputs, ctx, fn, 3, power=2)


@transformer("BiasAddGrad")
def bias_add_grad(node, inputs, ctx):
    """Sums the gradient over every axis but the channel axis."""
    x = inputs[0]
    count = None
    if x.shape is not None and len(x.shape) >= 2:
        channel = 1 if node.attr("data_format") == "NCHW" else len(x.shape) - 1
        count = dims_product(x.shape, [a for a in range(len(x.shape)) if a != channel])
    return out(node, sum_of_terms(x.interval, count, node.output_dtype()))
