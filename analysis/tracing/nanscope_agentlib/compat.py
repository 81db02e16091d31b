"""TensorFlow 1 names on TensorFlow 2, active only while tracing a script detected as TF1 style.

- `CompatModule`: a proxy module whose attributes come from `tf.compat.v1` first and from TF2 for names
  v1 lacks (submodules are proxied the same way), with `overrides` for names that neither provides in a
  working form under Keras 3: `tf.layers`, `tf.nn.rnn_cell`, `tf.contrib`, `tf.keras`.
- `tf.layers` and `tf.nn.rnn_cell` come from TensorFlow's own legacy implementations
  (`tensorflow.python.layers`, `tensorflow.python.keras.layers.legacy_rnn`) when they import, else from
  the small stand-ins in `layers`; `batch_normalization` is always the stand-in (TensorFlow's needs
  tf_keras). Setting NANSCOPE_FORCE_STAND_INS=1 uses the stand-ins throughout (tests).
- `tf.keras` in v1 mode is TensorFlow's internal Keras 2 copy (`tensorflow.python.keras`), which builds
  graph-mode layers on placeholders; Keras 3 cannot. `LSTM`/`GRU` map to its `LSTMV1`/`GRUV1`.
- `tf.contrib`: the commonly used pieces (`layers`, `rnn`, `slim`, `distributions`, `framework`,
  `learn.datasets`), see `build_contrib`.
- `numpy_aliases`: `np.float`, `np.int`, `np.bool`, ... that NumPy removed resolve to the builtins.
"""
# ruff: noqa: TID251 - relative imports within the agent's own package, which is loaded without nanscope
from __future__ import annotations

import os
import sys
import types

FORCE_STAND_INS = os.environ.get("NANSCOPE_FORCE_STAND_INS") == "1"

REMOVED_NUMPY_ALIASES = {"float": float, "int": int, "bool": bool, "object": object, "str": str,
                         "complex": complex, "long": int, "unicode": str}


def numpy_aliases():
    """Give NumPy back the builtin aliases it removed (1.24+). Returns the names that were added."""
    import numpy as np

    added = []
    for name, value in REMOVED_NUMPY_ALIASES.items():
        if name not in np.__dict__:
            setattr(np, name, value)
            added.append(name)
    return added


class Lazy:
    """An override computed on first access."""

    def __init__(self, factory):
        self.factory = factory


class CompatModule(types.ModuleType):
    """Attributes from `overrides` first, then from `primary` (tf.compat.v1 or one of its submodules),
    then from `fallback` (the TF2 counterpart). A submodule found on both sides, or one with overrides
    below it, is wrapped the same way. Looked-up values are cached in the module's dict, so each name is
    resolved once. `overrides` maps names to values or `Lazy` factories; dotted names apply to submodules.
    """

    def __init__(self, name, primary, fallback, overrides=None):
        super().__init__(name, getattr(primary, "__doc__", None))
        self.__dict__["_nanscope_sources"] = (primary, fallback)
        self.__dict__["_nanscope_overrides"] = dict(overrides or {})

    def __getattr__(self, name):
        primary, fallback = self.__dict__["_nanscope_sources"]
        overrides = self.__dict__["_nanscope_overrides"]
        if name in overrides:
            value = overrides[name]
            if isinstance(value, Lazy):
                value = value.factory()
            self.__dict__[name] = value
            return value
        below = {key[len(name) + 1:]: value for key, value in overrides.items() if key.startswith(name + ".")}
        sources = (fallback,) if name.startswith("__") else (primary, fallback)
        for source in sources:
            if source is None:
                continue
            try:
                value = getattr(source, name)
            except AttributeError:
                continue
            if source is primary and isinstance(value, types.ModuleType):
                counterpart = lookup(fallback, name)
                if not isinstance(counterpart, types.ModuleType) or counterpart is value:
                    counterpart = None
                if counterpart is not None or below:
                    value = CompatModule(f"{self.__name__}.{name}", value, counterpart, below)
            self.__dict__[name] = value
            return value
        if below:
            value = CompatModule(f"{self.__name__}.{name}", types.ModuleType(name), None, below)
            self.__dict__[name] = value
            return value
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __dir__(self):
        primary, fallback = self.__dict__["_nanscope_sources"]
        names = set(dir(primary)) | set(dir(fallback) if fallback is not None else ())
        names |= {key.split(".")[0] for key in self.__dict__["_nanscope_overrides"]}
        names |= set(self.__dict__)
        return sorted(names - {"_nanscope_sources", "_nanscope_overrides"})


def lookup(module, name):
    """`getattr(module, name)`, or None when the attribute is missing or its lazy import fails."""
    if module is None:
        return None
    try:
        return getattr(module, name)
    except (AttributeError, ImportError):
        return None


def install_v1_proxy(tf, state=None):
    """Make `import tensorflow` (anywhere, from now on) yield the v1-first proxy of `tf`."""
    overrides = {
        "layers": Lazy(lambda: layers_module(tf, state)),
        "nn.rnn_cell": Lazy(lambda: rnn_cell_module(tf, state)),
        "contrib": Lazy(lambda: contrib_module(tf, state)),
        "keras": Lazy(lambda: legacy_keras_module(tf, state)),
    }
    proxy = CompatModule("tensorflow", tf.compat.v1, tf, overrides)
    for dunder in ("__spec__", "__loader__", "__package__", "__path__", "__file__", "__version__"):
        if hasattr(tf, dunder):
            proxy.__dict__[dunder] = getattr(tf, dunder)
    sys.modules["tensorflow"] = proxy
    return proxy


# -- tf.layers ------------------------------------------------------------------------------------------

_LAYERS_CACHE = {}


def layers_module(tf, state=None):
    """`tf.layers`: TensorFlow's legacy layers where they import, the stand-ins otherwise."""
    if "layers" in _LAYERS_CACHE:
        return _LAYERS_CACHE["layers"]
    from . import layers as standins

    module = types.ModuleType("tensorflow.layers", "tf.layers (nanscope tracing stand-in)")
    functions = standins.build(tf)
    for name, value in functions.items():
        setattr(module, name, value)
    used_internal = False
    if not FORCE_STAND_INS:
        try:
            from tensorflow.python.layers import convolutional, core, pooling
        except ImportError:
            pass
        else:
            for source in (core, convolutional, pooling):
                for name in dir(source):
                    if not name.startswith("_") and name not in ("batch_normalization", "BatchNormalization"):
                        setattr(module, name, getattr(source, name))
            used_internal = True
    if state is not None:
        how = "TensorFlow's legacy layers" if used_internal else "nanscope's stand-ins (get_variable + nn ops)"
        state.use_stand_in("tf.layers", f"tf.layers from {how}; batch_normalization from a nanscope stand-in")
    _LAYERS_CACHE["layers"] = module
    return module


def rnn_cell_module(tf, state=None):
    """`tf.nn.rnn_cell`: TensorFlow's legacy RNN cells where they import, the stand-ins otherwise."""
    if "rnn_cell" in _LAYERS_CACHE:
        return _LAYERS_CACHE["rnn_cell"]
    module = None
    if not FORCE_STAND_INS:
        try:
            from tensorflow.python.keras.layers.legacy_rnn import rnn_cell_impl
        except ImportError:
            rnn_cell_impl = None
        if rnn_cell_impl is not None:
            module = types.ModuleType("tensorflow.nn.rnn_cell", "tf.nn.rnn_cell (TensorFlow's legacy cells)")
            for name in ("RNNCell", "BasicRNNCell", "BasicLSTMCell", "LSTMCell", "GRUCell", "MultiRNNCell",
                         "DropoutWrapper", "ResidualWrapper", "DeviceWrapper", "LSTMStateTuple"):
                if hasattr(rnn_cell_impl, name):
                    setattr(module, name, getattr(rnn_cell_impl, name))
    if module is None:
        from . import rnn as standins

        module = types.ModuleType("tensorflow.nn.rnn_cell", "tf.nn.rnn_cell (nanscope stand-ins)")
        for name, value in standins.build(tf).items():
            setattr(module, name, value)
        if state is not None:
            state.use_stand_in("tf.nn.rnn_cell", "tf.nn.rnn_cell from nanscope's stand-in cells")
    _LAYERS_CACHE["rnn_cell"] = module
    return module


def legacy_keras_module(tf, state=None):
    """`tf.keras` in v1 mode: TensorFlow's internal Keras 2, which works in graph mode; datasets from the
    stand-ins. Falls back to whatever `tf.compat.v1.keras` is when the internal copy is gone."""
    try:
        from tensorflow.python import keras as legacy
        from tensorflow.python.keras import layers as legacy_layers
    except ImportError:
        return tf.compat.v1.keras
    from . import datasets

    overrides = {"datasets": Lazy(lambda: datasets.keras_datasets_module(state)),
                 "layers.LSTM": getattr(legacy_layers, "LSTMV1", None),
                 "layers.GRU": getattr(legacy_layers, "GRUV1", None),
                 "layers.LSTMCell": getattr(legacy_layers, "LSTMCellV1", None),
                 "layers.GRUCell": getattr(legacy_layers, "GRUCellV1", None)}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    if state is not None:
        state.use_stand_in("tf.keras", "tf.keras in a TF1-style script: TensorFlow's internal Keras 2 (graph mode)")
    return CompatModule("tensorflow.keras", legacy, None, overrides)


def keras_module_aliases(proxy):
    """sys.modules entries so that `from tensorflow.keras.layers import Dense` reaches the v1 tf.keras."""
    keras = proxy.keras
    names = {"tensorflow.keras": keras}
    for sub in ("layers", "models", "backend", "losses", "optimizers", "initializers", "regularizers",
                "activations", "datasets", "utils", "callbacks", "metrics", "constraints"):
        value = lookup(keras, sub)
        if isinstance(value, types.ModuleType):
            names[f"tensorflow.keras.{sub}"] = value
    return names


# -- tf.contrib -----------------------------------------------------------------------------------------

def contrib_module(tf, state=None):
    if "contrib" not in _LAYERS_CACHE:
        _LAYERS_CACHE["contrib"] = build_contrib(tf, state)
    return _LAYERS_CACHE["contrib"]


def build_contrib(tf, state=None):
    """`tf.contrib` with the pieces old scripts use most; anything else raises an AttributeError that says
    what is covered."""
    from . import layers as standin_layers

    v1 = tf.compat.v1
    layer_functions = standin_layers.build(tf)
    rnn_cell = rnn_cell_module(tf)

    def xavier_initializer(uniform=True, seed=None, dtype=None):
        return v1.glorot_uniform_initializer(seed=seed) if uniform else v1.glorot_normal_initializer(seed=seed)

    def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None, dtype=None):
        return v1.variance_scaling_initializer(scale=factor, mode=mode.lower(),
                                               distribution="uniform" if uniform else "truncated_normal",
                                               seed=seed)

    def l2_regularizer(scale, scope=None):
        return lambda weights: tf.multiply(scale, tf.nn.l2_loss(weights), name="l2_regularizer")

    def l1_regularizer(scale, scope=None):
        return lambda weights: tf.multiply(scale, tf.reduce_sum(tf.abs(weights)), name="l1_regularizer")

    contrib_layers = _module("tensorflow.contrib.layers", {
        "xavier_initializer": xavier_initializer,
        "xavier_initializer_conv2d": xavier_initializer,
        "variance_scaling_initializer": variance_scaling_initializer,
        "l2_regularizer": l2_regularizer,
        "l1_regularizer": l1_regularizer,
        "fully_connected": layer_functions["contrib_fully_connected"],
        "conv2d": layer_functions["contrib_conv2d"],
        "convolution2d": layer_functions["contrib_conv2d"],
        "conv2d_transpose": layer_functions["contrib_conv2d_transpose"],
        "max_pool2d": layer_functions["contrib_max_pool2d"],
        "avg_pool2d": layer_functions["contrib_avg_pool2d"],
        "flatten": layer_functions["flatten"],
        "dropout": layer_functions["contrib_dropout"],
        "batch_norm": layer_functions["contrib_batch_norm"],
        "layer_norm": layer_functions["layer_norm"],
        "linear": lambda inputs, num_outputs, **kwargs: layer_functions["contrib_fully_connected"](
            inputs, num_outputs, activation_fn=None, **kwargs),
    })
    contrib_rnn = _module("tensorflow.contrib.rnn", {
        name: getattr(rnn_cell, name) for name in dir(rnn_cell) if not name.startswith("_")})
    contrib_rnn.static_rnn = v1.nn.static_rnn
    contrib_rnn.static_bidirectional_rnn = v1.nn.static_bidirectional_rnn
    slim = _module("tensorflow.contrib.slim", {
        "arg_scope": layer_functions["arg_scope"],
        "fully_connected": contrib_layers.fully_connected,
        "conv2d": contrib_layers.conv2d,
        "conv2d_transpose": contrib_layers.conv2d_transpose,
        "max_pool2d": contrib_layers.max_pool2d,
        "avg_pool2d": contrib_layers.avg_pool2d,
        "flatten": contrib_layers.flatten,
        "dropout": contrib_layers.dropout,
        "batch_norm": contrib_layers.batch_norm,
        "l2_regularizer": l2_regularizer,
        "xavier_initializer": xavier_initializer,
        "variance_scaling_initializer": variance_scaling_initializer,
    })
    slim.layers = contrib_layers
    framework = _module("tensorflow.contrib.framework", {
        "get_or_create_global_step": v1.train.get_or_create_global_step,
        "get_global_step": v1.train.get_global_step,
        "arg_scope": layer_functions["arg_scope"],
        "get_variables": v1.get_collection,
    })
    from . import datasets

    learn_datasets = _module("tensorflow.contrib.learn.datasets", {
        "mnist": datasets.mnist_reader_module(state)})
    learn_datasets.load_dataset = lambda name, **kwargs: datasets.mnist_reader_module(state).read_data_sets(
        "MNIST_data", **kwargs)
    learn = _module("tensorflow.contrib.learn", {"datasets": learn_datasets})
    contrib = _module("tensorflow.contrib", {
        "layers": contrib_layers,
        "rnn": contrib_rnn,
        "slim": slim,
        "framework": framework,
        "distributions": v1.distributions,
        "learn": learn,
    }, cls=_ContribModule)
    if state is not None:
        state.use_stand_in("tf.contrib", "tf.contrib from nanscope's stand-ins (layers, rnn, slim, "
                           "framework, distributions, learn.datasets)")
    return contrib


class _ContribModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        covered = ", ".join(sorted(key for key in self.__dict__ if not key.startswith("_")))
        raise AttributeError(f"tf.contrib.{name} does not exist in TensorFlow 2 and nanscope has no stand-in "
                             f"for it (stand-ins: {covered})")


def _module(name, attributes, cls=types.ModuleType):
    module = cls(name, f"{name} (nanscope tracing stand-in)")
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def contrib_submodules(contrib):
    """{dotted module name: module} for the import hook (`import tensorflow.contrib.slim as slim`)."""
    names = {"tensorflow.contrib": contrib}
    for key in ("layers", "rnn", "slim", "framework", "distributions", "learn"):
        names[f"tensorflow.contrib.{key}"] = getattr(contrib, key)
    names["tensorflow.contrib.learn.datasets"] = contrib.learn.datasets
    names["tensorflow.contrib.learn.python"] = contrib.learn
    names["tensorflow.contrib.learn.python.learn"] = contrib.learn
    names["tensorflow.contrib.learn.python.learn.datasets"] = contrib.learn.datasets
    names["tensorflow.contrib.learn.python.learn.datasets.mnist"] = contrib.learn.datasets.mnist
    return names
