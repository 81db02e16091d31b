"""TensorFlow 2 / Keras 3: stop where training would start and trace the forward pass and the loss into
a FuncGraph.

Where training starts:
- `Model.fit` / `Model.train_on_batch`: the model's own `train_step` is traced in a `tf.function` on
  TensorSpecs made from the data (batch dimension unknown); the trace stops at its `tape.gradient`, so
  the graph holds the forward pass, the compiled loss and the loss tracker, not the gradients.
- `GradientTape.gradient` while a graph is being built (a custom training step in a `tf.function`): the
  graph being built is recorded and the script stops.
- `GradientTape.__enter__` in eager mode (a custom training step without `tf.function`, in a function or
  at module level): from there on the ops are built into a fresh FuncGraph instead of running (the eager
  values they use become captured inputs), until the tape's `gradient` stops the script.

When a script ends without training, the agent traces what it left: Keras models (forward pass, and the
loss when compiled) and `tf.function`s (`trace_keras_model`, `trace_function`).

Attribution (see `frames.Provenance`): every Keras operation records where it was constructed
(`Operation.__new__`), its calls while a graph is built record op intervals, `compile` records where
the loss was chosen; the input placeholders get the frames of the model's `Input`s, the label
placeholders those of the fit call.
"""
# ruff: noqa: TID251 - relative imports within the agent's own package, which is loaded without nanscope
from __future__ import annotations

from .datasets import stand_in_source
from .frames import PROVENANCE, live_user_frames, op_count
from .state import STOPPED_AT_TRAINING, StopTracing, value_range

DEFAULT_BATCH = 32


def _in_graph(tf):
    return not tf.executing_eagerly()


# -- Keras patches (post-import hooks) -------------------------------------------------------------------

def patch_operation(module, tf):
    """keras.src.ops.operation: construction frames and call intervals of every Keras operation."""
    operation = module.Operation
    original_new = operation.__new__
    original_call = operation.__call__

    def new(cls, *args, **kwargs):
        obj = original_new(cls, *args, **kwargs)
        try:
            object.__setattr__(obj, "_nanscope_frames", live_user_frames())
        except (AttributeError, TypeError):
            pass
        return obj

    def call(self, *args, **kwargs):
        if not _in_graph(tf):
            return original_call(self, *args, **kwargs)
        graph = tf.compat.v1.get_default_graph()
        start, entry = op_count(graph), live_user_frames()
        try:
            return original_call(self, *args, **kwargs)
        finally:
            PROVENANCE.record(graph, start, entry, getattr(self, "_nanscope_frames", None))

    operation.__new__ = staticmethod(new)
    operation.__call__ = call


def patch_trainer(module, tf):
    """keras.src.trainers.trainer: where `compile` was called; the loss computation's op interval."""
    trainer = module.Trainer
    original_compile = trainer.compile
    original_compute_loss = trainer._compute_loss

    def compile(self, *args, **kwargs):
        try:
            object.__setattr__(self, "_nanscope_compile_frames", live_user_frames())
        except (AttributeError, TypeError):
            pass
        return original_compile(self, *args, **kwargs)

    def compute_loss(self, *args, **kwargs):
        if not _in_graph(tf):
            return original_compute_loss(self, *args, **kwargs)
        graph = tf.compat.v1.get_default_graph()
        start, entry = op_count(graph), live_user_frames()
        try:
            return original_compute_loss(self, *args, **kwargs)
        finally:
            PROVENANCE.record(graph, start, entry, getattr(self, "_nanscope_compile_frames", None))

    trainer.compile = compile
    trainer._compute_loss = compute_loss


def patch_model(module, tf, state):
    """keras.src.models.model: `fit` and `train_on_batch` trace the training step and stop."""
    model_class = module.Model

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            *args, **kwargs):
        frames = live_user_frames()
        graph = trace_training_step(tf, self, x, y, sample_weight, batch_size, frames, state)
        raise StopTracing(STOPPED_AT_TRAINING, "Model.fit", graph, frames)

    def train_on_batch(self, x, y=None, sample_weight=None, *args, **kwargs):
        frames = live_user_frames()
        graph = trace_training_step(tf, self, x, y, sample_weight, None, frames, state)
        raise StopTracing(STOPPED_AT_TRAINING, "Model.train_on_batch", graph, frames)

    model_class.fit = fit
    model_class.train_on_batch = train_on_batch


def patch_gradient_tape(tf, state):
    """GradientTape: see the module docstring."""
    from tensorflow.python.eager import backprop
    from tensorflow.python.framework import func_graph

    tape_class = backprop.GradientTape
    original_enter = tape_class.__enter__

    def enter(self):
        if tf.executing_eagerly() and state.eager_step_graph is None:
            graph = func_graph.FuncGraph("nanscope_training_step")
            context = graph.as_default()
            context.__enter__()
            state.eager_step_graph = (graph, context)
            state.note("the training step runs eagerly: from its GradientTape on, it was traced into a graph "
                       "(eager values it uses are captured inputs)")
        return original_enter(self)

    def gradient(self, *args, **kwargs):
        frames = live_user_frames()
        if _in_graph(tf):
            graph = tf.compat.v1.get_default_graph()
            observe_function_inputs(tf, graph, state)
            raise StopTracing(STOPPED_AT_TRAINING, "GradientTape.gradient", graph, frames)
        raise StopTracing(STOPPED_AT_TRAINING, "GradientTape.gradient", None, frames)

    tape_class.__enter__ = enter
    tape_class.gradient = gradient


def patch_functions(tf, state):
    """Remember the arguments of the tf.function calls in progress (their values give observed ranges)."""
    from tensorflow.python.eager.polymorphic_function import polymorphic_function

    function_class = polymorphic_function.Function
    original_call = function_class.__call__

    def call(self, *args, **kwargs):
        state.function_calls.append((self, args, kwargs))
        try:
            return original_call(self, *args, **kwargs)
        finally:
            state.function_calls.pop()

    function_class.__call__ = call


def observe_function_inputs(tf, graph, state):
    """Observed ranges of the placeholders of the tf.function being traced, from the call's arguments."""
    if not state.function_calls:
        return
    _, args, kwargs = state.function_calls[-1]
    import numpy as np

    leaves = [leaf for leaf in tf.nest.flatten((args, kwargs))
              if isinstance(leaf, (np.ndarray, tf.Tensor)) or hasattr(leaf, "numpy")]
    inputs = list(getattr(graph, "inputs", ()))
    for leaf, placeholder in zip(leaves, inputs):
        value = leaf.numpy() if hasattr(leaf, "numpy") and not isinstance(leaf, np.ndarray) else leaf
        dataset = stand_in_source(leaf)
        source = f"first call's argument (synthetic {dataset} stand-in)" if dataset else "first call's argument"
        state.observe(placeholder.op.name, value_range(value), source)


# -- tracing a training step / a model / a tf.function ---------------------------------------------------

def _as_numpy(value):
    import numpy as np

    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        try:
            return value.numpy()
        except (AttributeError, TypeError, ValueError):
            return None
    return value


def _is_array(value):
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _spec_for(tf, value, name, keep_batch=False):
    import numpy as np

    shape = tuple(value.shape)
    dtype = tf.as_dtype(value.dtype) if not isinstance(value.dtype, np.dtype) or value.dtype != object \
        else tf.int32
    if dtype == tf.float64:
        dtype = tf.float32         # Keras standardises float data to floatx
    if not keep_batch and shape:
        shape = (None, *shape[1:])
    return tf.TensorSpec(shape, dtype, name=name)


def _input_names(model, count):
    names = []
    for index, tensor in enumerate(_model_inputs(model) or ()):
        name = getattr(tensor, "name", None) or f"x_{index}"
        names.append(name.split(":")[0].replace("/", "_"))
    if len(names) != count:
        names = ["x" if index == 0 else f"x_{index}" for index in range(count)]
    return names


def _model_inputs(model):
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    return list(inputs) if inputs else None


def _input_frames(model):
    frames = []
    for tensor in _model_inputs(model) or ():
        history = getattr(tensor, "_keras_history", None)
        operation = getattr(history, "operation", None) if history is not None else None
        frames.append(getattr(operation, "_nanscope_frames", None))
    return frames


def trace_training_step(tf, model, x, y, sample_weight, batch_size, frames, state):
    """The FuncGraph of `model.train_step` on specs of (x, y, sample_weight), stopped at its gradient."""
    batch = int(batch_size or DEFAULT_BATCH)
    structure, first = _data_structure(tf, x, y, sample_weight, batch)
    flat_structure = tf.nest.flatten(structure)
    flat_first = tf.nest.flatten(first) if first is not None else [None] * len(flat_structure)
    x_count = len(tf.nest.flatten(structure[0])) if isinstance(structure, tuple) else len(flat_structure)
    names = _input_names(model, x_count) + [
        "y" if index == 0 else f"y_{index}" for index in range(len(flat_structure) - x_count)]
    if isinstance(structure, tuple) and len(structure) == 3:
        names[-len(tf.nest.flatten(structure[2])):] = ["sample_weight"] * len(tf.nest.flatten(structure[2]))
    specs = [tf.TensorSpec(spec.shape, spec.dtype, name=_unique(names, index))
             for index, spec in enumerate(flat_structure)]

    def step(*flat):
        return model.train_step(tf.nest.pack_sequence_as(structure, list(flat)))

    graph = _concrete_graph(tf, tf.function(step), specs)
    input_frames = _input_frames(model)
    for index, spec in enumerate(specs):
        own = input_frames[index] if index < x_count and index < len(input_frames) else None
        PROVENANCE.set_frames(graph, spec.name, own or frames)
        value = flat_first[index] if index < len(flat_first) else None
        if value is not None:
            dataset = stand_in_source(value)
            source = f"first training batch (synthetic {dataset} stand-in)" if dataset else "first training batch"
            state.observe(spec.name, value_range(_as_numpy(value)), source)
    return graph


def _unique(names, index):
    name = names[index]
    return name if names.index(name) == index else f"{name}_{index}"


def _data_structure(tf, x, y, sample_weight, batch):
    """(structure of TensorSpecs, the same structure holding the first batch or None)."""
    if isinstance(x, tf.data.Dataset):
        structure = x.element_spec
        try:
            first = next(iter(x.take(1)))
        except (StopIteration, TypeError, ValueError, tf.errors.OpError):
            first = None
        return structure, first
    if hasattr(x, "__getitem__") and hasattr(x, "__len__") and not _is_array(x) and \
            not isinstance(x, (list, tuple, dict)):
        x, y = _first_of_sequence(x, y)        # a keras.utils.PyDataset / Sequence
    elif hasattr(x, "__next__"):
        element = next(x)                      # a generator of (x, y[, sample_weight])
        x, y, sample_weight = (tuple(element) + (None, None))[:3] if isinstance(element, tuple) else (element, y, None)
    data = tuple(part for part in (x, y, sample_weight) if part is not None)

    def spec(value):
        value = _as_numpy(value)
        return _spec_for(tf, value, None)

    def head(value):
        value = _as_numpy(value)
        return value[:batch] if _is_array(value) and len(value.shape) else value

    structure = tf.nest.map_structure(spec, data)
    first = tf.nest.map_structure(head, data)
    return structure, first


def _first_of_sequence(sequence, y):
    element = sequence[0]
    if isinstance(element, tuple):
        return element[0], element[1] if len(element) > 1 else y
    return element, y


def _concrete_graph(tf, function, specs):
    """The graph of `function` on `specs`; the graph built so far if a training step stopped it."""
    try:
        concrete = function.get_concrete_function(*specs)
    except StopTracing as stop:
        if stop.graph is None:
            raise
        return stop.graph
    return concrete.graph


def trace_keras_model(tf, model, state):
    """Forward pass (and the compiled loss) of a Keras model on specs of its inputs, or None with a note."""
    inputs = _model_inputs(model)
    if not inputs:
        state.note(f"the Keras model {getattr(model, 'name', '?')!r} has no known input shape (give it an "
                   "Input or call it on data); it was not traced")
        return None
    x_specs = [tf.TensorSpec((None, *tuple(t.shape)[1:]), tf.as_dtype(t.dtype), name=name)
               for t, name in zip(inputs, _input_names(model, len(inputs)))]
    structure = x_specs[0] if len(x_specs) == 1 else x_specs
    frames = getattr(model, "_nanscope_compile_frames", None) or getattr(model, "_nanscope_frames", None) or []
    if getattr(model, "compiled", False) and getattr(model, "loss", None) is not None:
        y_specs = _label_specs(tf, model)
        if y_specs is not None:
            y_structure = y_specs[0] if len(y_specs) == 1 else y_specs

            def step(*flat):
                x = tf.nest.pack_sequence_as(structure, list(flat[:len(x_specs)]))
                y = tf.nest.pack_sequence_as(y_structure, list(flat[len(x_specs):]))
                return model.train_step((x, y))

            graph = _concrete_graph(tf, tf.function(step), x_specs + y_specs)
            _set_input_frames(graph, model, x_specs, y_specs, frames)
            return graph

    def forward(*flat):
        return model(tf.nest.pack_sequence_as(structure, list(flat)), training=False)

    graph = _concrete_graph(tf, tf.function(forward), x_specs)
    _set_input_frames(graph, model, x_specs, [], frames)
    return graph


def _set_input_frames(graph, model, x_specs, y_specs, frames):
    for spec, own in zip(x_specs, _input_frames(model) + [None] * len(x_specs)):
        PROVENANCE.set_frames(graph, spec.name, own or frames)
    for spec in y_specs:
        PROVENANCE.set_frames(graph, spec.name, frames)


def _label_specs(tf, model):
    try:
        outputs = list(model.outputs)
    except (AttributeError, ValueError, TypeError):
        return None
    loss = model.loss
    losses = loss if isinstance(loss, (list, tuple)) else [loss] * len(outputs)
    specs = []
    for index, (output, one_loss) in enumerate(zip(outputs, losses)):
        name = one_loss if isinstance(one_loss, str) else getattr(one_loss, "__name__", type(one_loss).__name__)
        shape = (None, *tuple(output.shape)[1:])
        dtype = tf.float32
        if "sparse" in str(name).lower():
            shape, dtype = shape[:-1], tf.int32
        specs.append(tf.TensorSpec(shape, dtype, name="y" if index == 0 else f"y_{index}"))
    return specs


def trace_function(tf, function, state):
    """The graph of a tf.function: on its input signature, else its first traced concrete function."""
    try:
        if function.input_signature is not None:
            return _concrete_graph(tf, function, [])
        concrete = function._list_all_concrete_functions()
    except StopTracing as stop:
        return stop.graph
    return concrete[0].graph if concrete else None


def is_tf_function(value):
    cls = type(value)
    return cls.__name__ == "Function" and cls.__module__.endswith("polymorphic_function") and \
        hasattr(value, "get_concrete_function")


def is_keras_model(value):
    for cls in type(value).__mro__:
        if cls.__name__ == "Model" and cls.__module__.startswith("keras."):
            return True
    return False
