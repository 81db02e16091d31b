"""Which Python expressions create which TensorFlow op types: the one table the source mapper matches with.

`OP_FUNCTIONS` maps an op type to the names of the Python API functions that create it; a call matches
by the last part of its callee (`tf.math.log(x)`, `tf.log(x)` and `K.log(x)` all call "log").
`BINARY_OPERATORS`, `UNARY_OPERATORS`, `COMPARE_OPERATORS` and `SUBSCRIPT_OPS` cover ops that Python
operators on tensors create (`y_ * p` makes Mul, `-x` Neg, `x[1:]` StridedSlice). A name may appear
under several op types (`div` can make RealDiv or Div, depending on the dtype).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

OP_FUNCTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    # Ops whose inputs the checks look at (danger zones).
    "Log": ("log",),
    "Log1p": ("log1p",),
    "Exp": ("exp",),
    "Expm1": ("expm1",),
    "Sqrt": ("sqrt",),
    "Rsqrt": ("rsqrt",),
    "Reciprocal": ("reciprocal", "inv"),
    "Inv": ("inv", "reciprocal"),
    "RealDiv": ("divide", "div", "truediv", "realdiv", "true_divide"),
    "Div": ("div", "divide"),
    "DivNoNan": ("div_no_nan", "divide_no_nan"),
    "FloorDiv": ("floordiv", "floor_div", "floor_divide"),
    "FloorMod": ("floormod", "mod", "floor_mod"),
    "TruncateDiv": ("truncatediv", "truncate_div"),
    "TruncateMod": ("truncatemod", "truncate_mod"),
    "Pow": ("pow", "power"),
    "Acos": ("acos",),
    "Asin": ("asin",),
    "Atanh": ("atanh",),
    "Acosh": ("acosh",),
    "Lgamma": ("lgamma",),
    "Digamma": ("digamma",),
    "Xlogy": ("xlogy",),
    "Xlog1py": ("xlog1py",),
    "Xdivy": ("xdivy",),
    # Activations, losses and normalisation.
    "Softmax": ("softmax",),
    "LogSoftmax": ("log_softmax", "logsoftmax"),
    "SoftmaxCrossEntropyWithLogits": ("softmax_cross_entropy_with_logits",
                                      "softmax_cross_entropy_with_logits_v2"),
    "SparseSoftmaxCrossEntropyWithLogits": ("sparse_softmax_cross_entropy_with_logits",),
    "Relu": ("relu",),
    "Relu6": ("relu6",),
    "Elu": ("elu",),
    "Selu": ("selu",),
    "LeakyRelu": ("leaky_relu",),
    "Softplus": ("softplus",),
    "Softsign": ("softsign",),
    "Sigmoid": ("sigmoid",),
    "Tanh": ("tanh",),
    "L2Loss": ("l2_loss",),
    "LRN": ("local_response_normalization", "lrn"),
    # Arithmetic.
    "Mul": ("multiply", "mul"),
    "AddV2": ("add",),
    "Add": ("add",),
    "AddN": ("add_n",),
    "Sub": ("subtract", "sub"),
    "Neg": ("negative", "neg"),
    "Abs": ("abs",),
    "Square": ("square",),
    "SquaredDifference": ("squared_difference",),
    "Maximum": ("maximum",),
    "Minimum": ("minimum",),
    "ClipByValue": ("clip_by_value",),
    "Sign": ("sign",),
    "Floor": ("floor",),
    "Ceil": ("ceil",),
    "Round": ("round",),
    "Sin": ("sin",),
    "Cos": ("cos",),
    "Tan": ("tan",),
    "Erf": ("erf",),
    "MatMul": ("matmul",),
    "BatchMatMulV2": ("matmul",),
    "BiasAdd": ("bias_add",),
    "Conv2D": ("conv2d",),
    "MaxPool": ("max_pool", "max_pool2d"),
    "AvgPool": ("avg_pool", "avg_pool2d"),
    # Reductions.
    "Sum": ("reduce_sum",),
    "Mean": ("reduce_mean",),
    "Max": ("reduce_max",),
    "Min": ("reduce_min",),
    "Prod": ("reduce_prod",),
    "ArgMax": ("argmax", "arg_max"),
    "ArgMin": ("argmin", "arg_min"),
    # Comparisons and selection.
    "Equal": ("equal",),
    "NotEqual": ("not_equal",),
    "Less": ("less",),
    "LessEqual": ("less_equal",),
    "Greater": ("greater",),
    "GreaterEqual": ("greater_equal",),
    "Select": ("where", "select"),
    "SelectV2": ("where", "where_v2"),
    # Shapes and data movement.
    "Reshape": ("reshape",),
    "Transpose": ("transpose",),
    "ConcatV2": ("concat",),
    "Pack": ("stack",),
    "Unpack": ("unstack",),
    "Split": ("split",),
    "SplitV": ("split",),
    "Slice": ("slice",),
    "StridedSlice": ("strided_slice",),
    "GatherV2": ("gather",),
    "Tile": ("tile",),
    "ExpandDims": ("expand_dims",),
    "Squeeze": ("squeeze",),
    "Cast": ("cast", "to_float", "to_double", "to_int32", "to_int64"),
    "Identity": ("identity",),
    "OneHot": ("one_hot",),
    "Shape": ("shape",),
    "Range": ("range",),
    # Sources: placeholders, constants, variables, random tensors.
    "Placeholder": ("placeholder",),
    "PlaceholderWithDefault": ("placeholder_with_default",),
    "Const": ("constant", "zeros", "ones", "convert_to_tensor"),
    "Fill": ("fill", "zeros", "ones"),
    "ZerosLike": ("zeros_like",),
    "OnesLike": ("ones_like",),
    "VariableV2": ("Variable", "get_variable"),
    "VarHandleOp": ("Variable", "get_variable"),
    "RandomStandardNormal": ("random_normal", "normal"),
    "TruncatedNormal": ("truncated_normal",),
    "RandomUniform": ("random_uniform", "uniform"),
    # Training.
    "ApplyGradientDescent": ("minimize", "apply_gradients"),
    "ResourceApplyGradientDescent": ("minimize", "apply_gradients"),
})

BINARY_OPERATORS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "+": ("AddV2", "Add"),
    "-": ("Sub",),
    "*": ("Mul",),
    "/": ("RealDiv", "Div"),
    "//": ("FloorDiv",),
    "%": ("FloorMod",),
    "**": ("Pow",),
    "@": ("MatMul", "BatchMatMulV2"),
    "&": ("LogicalAnd", "BitwiseAnd"),
    "|": ("LogicalOr", "BitwiseOr"),
    "^": ("BitwiseXor",),
})

UNARY_OPERATORS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "-": ("Neg",),
    "~": ("LogicalNot", "Invert"),
})

COMPARE_OPERATORS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "<": ("Less",),
    "<=": ("LessEqual",),
    ">": ("Greater",),
    ">=": ("GreaterEqual",),
})

SUBSCRIPT_OPS: tuple[str, ...] = ("StridedSlice",)
