"""Stand-ins for `tf.layers` and `tf.contrib.layers` functions, built from `tf.compat.v1.get_variable`
and `tf.nn` ops with the TF1 signatures for the common arguments.

They build the same kind of graph as the TF1 originals (variables named `kernel`/`bias`, or
`weights`/`biases` for contrib, in a fresh variable scope per call), which is all the analysis needs:
the numerics of the ops, not the exact variable layout. `build(tf)` returns them by name.
"""
from __future__ import annotations

import contextlib
import functools
import math


def _pair(value, rank=2):
    if isinstance(value, int):
        return (value,) * rank
    return tuple(value)


def build(tf):
    v1 = tf.compat.v1
    arg_scopes = []      # stack of {function name: kwargs} (slim's arg_scope)

    def scoped(function):
        """Lets `arg_scope([f], key=value)` supply defaults for `f` (slim semantics: explicit args win)."""
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for scope in arg_scopes:
                for key, value in scope.get(function.__name__, {}).items():
                    kwargs.setdefault(key, value)
            return function(*args, **kwargs)
        wrapper._nanscope_scope_name = function.__name__
        return wrapper

    @contextlib.contextmanager
    def arg_scope(list_ops_or_scope, **kwargs):
        if isinstance(list_ops_or_scope, dict):
            arg_scopes.append(list_ops_or_scope)
        else:
            scope = {}
            for op in list_ops_or_scope:
                name = getattr(op, "_nanscope_scope_name", getattr(op, "__name__", str(op)))
                scope[name] = dict(kwargs)
            arg_scopes.append(scope)
        try:
            yield arg_scopes[-1]
        finally:
            arg_scopes.pop()

    def _variable(name, shape, dtype, initializer, regularizer=None, trainable=True, constraint=None):
        return v1.get_variable(name, shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                               trainable=trainable, constraint=constraint)

    def _activity(outputs, activity_regularizer):
        if activity_regularizer is not None:
            v1.add_to_collection(v1.GraphKeys.REGULARIZATION_LOSSES, activity_regularizer(outputs))
        return outputs

    def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
              bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
              activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
              name=None, reuse=None):
        inputs = tf.convert_to_tensor(inputs)
        dtype = inputs.dtype.base_dtype
        with v1.variable_scope(name, default_name="dense", reuse=reuse):
            kernel = _variable("kernel", [int(inputs.shape[-1]), units], dtype,
                               kernel_initializer or v1.glorot_uniform_initializer(), kernel_regularizer,
                               trainable, kernel_constraint)
            rank = inputs.shape.rank
            if rank is not None and rank > 2:
                outputs = tf.tensordot(inputs, kernel, [[rank - 1], [0]])
            else:
                outputs = tf.matmul(inputs, kernel)
            if use_bias:
                bias = _variable("bias", [units], dtype, bias_initializer or v1.zeros_initializer(),
                                 bias_regularizer, trainable, bias_constraint)
                outputs = tf.nn.bias_add(outputs, bias)
            if activation is not None:
                outputs = activation(outputs)
            return _activity(outputs, activity_regularizer)

    def _conv(rank, inputs, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
              use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
              activity_regularizer, kernel_constraint, bias_constraint, trainable, name, reuse, default_name):
        inputs = tf.convert_to_tensor(inputs)
        dtype = inputs.dtype.base_dtype
        channels_first = data_format in ("channels_first", "NCHW", "NCW")
        in_channels = int(inputs.shape[1] if channels_first else inputs.shape[-1])
        kernel_size, strides, dilation_rate = _pair(kernel_size, rank), _pair(strides, rank), _pair(dilation_rate, rank)
        with v1.variable_scope(name, default_name=default_name, reuse=reuse):
            kernel = _variable("kernel", [*kernel_size, in_channels, filters], dtype,
                               kernel_initializer or v1.glorot_uniform_initializer(), kernel_regularizer,
                               trainable, kernel_constraint)
            if rank == 1:
                outputs = tf.nn.conv1d(inputs, kernel, stride=strides[0], padding=padding.upper(),
                                       data_format="NCW" if channels_first else "NWC", dilations=dilation_rate[0])
            else:
                outputs = tf.nn.conv2d(inputs, kernel, strides=[1, *strides, 1] if not channels_first
                                       else [1, 1, *strides], padding=padding.upper(),
                                       data_format="NCHW" if channels_first else "NHWC",
                                       dilations=[1, *dilation_rate, 1] if not channels_first
                                       else [1, 1, *dilation_rate])
            if use_bias:
                bias = _variable("bias", [filters], dtype, bias_initializer or v1.zeros_initializer(),
                                 bias_regularizer, trainable, bias_constraint)
                outputs = tf.nn.bias_add(outputs, bias, data_format="NCHW" if channels_first and rank == 2 else None)
            if activation is not None:
                outputs = activation(outputs)
            return _activity(outputs, activity_regularizer)

    def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
               dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
               bias_initializer=None, kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
               kernel_constraint=None, bias_constraint=None, trainable=True, name=None, reuse=None):
        return _conv(2, inputs, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                     use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                     activity_regularizer, kernel_constraint, bias_constraint, trainable, name, reuse, "conv2d")

    def conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
               dilation_rate=1, activation=None, use_bias=True, kernel_initializer=None,
               bias_initializer=None, kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
               kernel_constraint=None, bias_constraint=None, trainable=True, name=None, reuse=None):
        return _conv(1, inputs, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                     use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                     activity_regularizer, kernel_constraint, bias_constraint, trainable, name, reuse, "conv1d")

    def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                         data_format="channels_last", activation=None, use_bias=True, kernel_initializer=None,
                         bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
                         activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                         name=None, reuse=None):
        inputs = tf.convert_to_tensor(inputs)
        dtype = inputs.dtype.base_dtype
        kernel_size, strides = _pair(kernel_size), _pair(strides)
        height, width = inputs.shape[1], inputs.shape[2]

        def out_size(size, k, s):
            if size is None:
                return None
            return size * s if padding.lower() == "same" else (size - 1) * s + k

        with v1.variable_scope(name, default_name="conv2d_transpose", reuse=reuse):
            kernel = _variable("kernel", [*kernel_size, filters, int(inputs.shape[-1])], dtype,
                               kernel_initializer or v1.glorot_uniform_initializer(), kernel_regularizer,
                               trainable, kernel_constraint)
            shape = tf.shape(inputs)
            out_h = out_size(height, kernel_size[0], strides[0])
            out_w = out_size(width, kernel_size[1], strides[1])
            output_shape = tf.stack([shape[0], out_h if out_h is not None else shape[1] * strides[0],
                                     out_w if out_w is not None else shape[2] * strides[1], filters])
            outputs = tf.nn.conv2d_transpose(inputs, kernel, output_shape, strides=[1, *strides, 1],
                                             padding=padding.upper())
            outputs.set_shape([inputs.shape[0], out_h, out_w, filters])
            if use_bias:
                bias = _variable("bias", [filters], dtype, bias_initializer or v1.zeros_initializer(),
                                 bias_regularizer, trainable, bias_constraint)
                outputs = tf.nn.bias_add(outputs, bias)
            if activation is not None:
                outputs = activation(outputs)
            return _activity(outputs, activity_regularizer)

    def _pool(kind, rank, inputs, pool_size, strides, padding, data_format, name):
        pool_size, strides = _pair(pool_size, rank), _pair(strides, rank)
        channels_first = data_format in ("channels_first", "NCHW", "NCW")
        if rank == 1:
            fmt = "NCW" if channels_first else "NWC"
            function = tf.nn.max_pool1d if kind == "max" else tf.nn.avg_pool1d
        else:
            fmt = "NCHW" if channels_first else "NHWC"
            function = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
        return function(inputs, ksize=list(pool_size), strides=list(strides), padding=padding.upper(),
                        data_format=fmt, name=name)

    def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        return _pool("max", 2, inputs, pool_size, strides, padding, data_format, name)

    def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        return _pool("avg", 2, inputs, pool_size, strides, padding, data_format, name)

    def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        return _pool("max", 1, inputs, pool_size, strides, padding, data_format, name)

    def average_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        return _pool("avg", 1, inputs, pool_size, strides, padding, data_format, name)

    def flatten(inputs, name=None, data_format="channels_last", outputs_collections=None, scope=None):
        inputs = tf.convert_to_tensor(inputs)
        with v1.name_scope(name or scope, "flatten"):
            dims = inputs.shape[1:]
            if dims.is_fully_defined():
                return tf.reshape(inputs, [-1, int(math.prod(dims.as_list()))])
            return tf.reshape(inputs, tf.stack([tf.shape(inputs)[0], -1]))

    def _when(training, true_fn, false_fn):
        if isinstance(training, bool) or training is None:
            return true_fn() if training else false_fn()
        return v1.cond(tf.cast(training, tf.bool), true_fn, false_fn)

    def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
        inputs = tf.convert_to_tensor(inputs)
        with v1.name_scope(name, "dropout"):
            return _when(training, lambda: tf.nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed),
                         lambda: tf.identity(inputs))

    def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                            beta_initializer=None, gamma_initializer=None, moving_mean_initializer=None,
                            moving_variance_initializer=None, beta_regularizer=None, gamma_regularizer=None,
                            beta_constraint=None, gamma_constraint=None, training=False, trainable=True,
                            name=None, reuse=None, **unused):
        inputs = tf.convert_to_tensor(inputs)
        rank = inputs.shape.rank
        axes = [axis] if isinstance(axis, int) else list(axis)
        axes = [a % rank for a in axes]
        reduce_axes = [a for a in range(rank) if a not in axes]
        params_shape = [int(inputs.shape[a]) for a in axes]
        broadcast = [int(inputs.shape[a]) if a in axes else 1 for a in range(rank)]
        dtype = inputs.dtype.base_dtype
        with v1.variable_scope(name, default_name="batch_normalization", reuse=reuse):
            gamma = _variable("gamma", params_shape, dtype, gamma_initializer or v1.ones_initializer(),
                              gamma_regularizer, trainable, gamma_constraint) if scale else None
            beta = _variable("beta", params_shape, dtype, beta_initializer or v1.zeros_initializer(),
                             beta_regularizer, trainable, beta_constraint) if center else None
            moving_mean = _variable("moving_mean", params_shape, dtype,
                                    moving_mean_initializer or v1.zeros_initializer(), trainable=False)
            moving_variance = _variable("moving_variance", params_shape, dtype,
                                        moving_variance_initializer or v1.ones_initializer(), trainable=False)

            def reshape(value):
                return None if value is None else tf.reshape(value, broadcast)

            def batch_statistics():
                mean, variance = tf.nn.moments(inputs, reduce_axes, keepdims=True)
                decay = 1.0 - momentum
                v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign_sub(
                    moving_mean, (moving_mean - tf.reshape(mean, params_shape)) * decay))
                v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, v1.assign_sub(
                    moving_variance, (moving_variance - tf.reshape(variance, params_shape)) * decay))
                return mean, variance

            def moving_statistics():
                return reshape(moving_mean), reshape(moving_variance)

            mean, variance = _when(training, batch_statistics, moving_statistics)
            return tf.nn.batch_normalization(inputs, mean, variance, reshape(beta), reshape(gamma), epsilon)

    def layer_norm(inputs, center=True, scale=True, activation_fn=None, reuse=None, variables_collections=None,
                   outputs_collections=None, trainable=True, begin_norm_axis=1, begin_params_axis=-1, scope=None):
        inputs = tf.convert_to_tensor(inputs)
        rank = inputs.shape.rank
        begin_norm_axis %= rank
        begin_params_axis %= rank
        params_shape = inputs.shape[begin_params_axis:].as_list()
        with v1.variable_scope(scope, default_name="LayerNorm", reuse=reuse):
            beta = _variable("beta", params_shape, inputs.dtype, v1.zeros_initializer(),
                             trainable=trainable) if center else None
            gamma = _variable("gamma", params_shape, inputs.dtype, v1.ones_initializer(),
                              trainable=trainable) if scale else None
            mean, variance = tf.nn.moments(inputs, list(range(begin_norm_axis, rank)), keepdims=True)
            outputs = tf.nn.batch_normalization(inputs, mean, variance, beta, gamma, 1e-12)
            return activation_fn(outputs) if activation_fn is not None else outputs

    # -- tf.contrib.layers / slim signatures -------------------------------------------------------------

    def _normalize_or_bias_then_activate(outputs, num_outputs, normalizer_fn, normalizer_params, biases_initializer,
                                         biases_regularizer, trainable, activation_fn):
        """tf.contrib.layers' common tail: the normalizer if given, else a bias (unless disabled), then the
        activation."""
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        elif biases_initializer is not False:
            biases = _variable("biases", [num_outputs], outputs.dtype, biases_initializer or v1.zeros_initializer(),
                               biases_regularizer, trainable)
            outputs = tf.nn.bias_add(outputs, biases)
        return activation_fn(outputs) if activation_fn is not None else outputs

    @scoped
    def fully_connected(inputs, num_outputs, activation_fn=tf.nn.relu, normalizer_fn=None, normalizer_params=None,
                        weights_initializer=None, weights_regularizer=None, biases_initializer=None,
                        biases_regularizer=None, reuse=None, variables_collections=None, outputs_collections=None,
                        trainable=True, scope=None):
        inputs = tf.convert_to_tensor(inputs)
        with v1.variable_scope(scope, default_name="fully_connected", reuse=reuse):
            weights = _variable("weights", [int(inputs.shape[-1]), num_outputs], inputs.dtype,
                                weights_initializer or v1.glorot_uniform_initializer(), weights_regularizer, trainable)
            outputs = tf.matmul(inputs, weights)
            return _normalize_or_bias_then_activate(
                outputs, num_outputs, normalizer_fn, normalizer_params, biases_initializer, biases_regularizer,
                trainable, activation_fn)

    @scoped
    def contrib_conv2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None, rate=1,
                       activation_fn=tf.nn.relu, normalizer_fn=None, normalizer_params=None, weights_initializer=None,
                       weights_regularizer=None, biases_initializer=None, biases_regularizer=None, reuse=None,
                       variables_collections=None, outputs_collections=None, trainable=True, scope=None):
        inputs = tf.convert_to_tensor(inputs)
        kernel_size, stride = _pair(kernel_size), _pair(stride)
        with v1.variable_scope(scope, default_name="Conv", reuse=reuse):
            weights = _variable("weights", [*kernel_size, int(inputs.shape[-1]), num_outputs], inputs.dtype,
                                weights_initializer or v1.glorot_uniform_initializer(), weights_regularizer, trainable)
            outputs = tf.nn.conv2d(inputs, weights, strides=[1, *stride, 1], padding=padding.upper(),
                                   dilations=[1, *_pair(rate), 1])
            return _normalize_or_bias_then_activate(
                outputs, num_outputs, normalizer_fn, normalizer_params, biases_initializer, biases_regularizer,
                trainable, activation_fn)

    @scoped
    def contrib_conv2d_transpose(inputs, num_outputs, kernel_size, stride=1, padding="SAME", activation_fn=tf.nn.relu,
                                 weights_initializer=None, biases_initializer=None, reuse=None, trainable=True,
                                 scope=None, **unused):
        outputs = conv2d_transpose(inputs, num_outputs, kernel_size, strides=stride, padding=padding,
                                   kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
                                   trainable=trainable, name=scope, reuse=reuse)
        return activation_fn(outputs) if activation_fn is not None else outputs

    @scoped
    def contrib_max_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC", outputs_collections=None,
                           scope=None):
        return _pool("max", 2, inputs, kernel_size, stride, padding, data_format, scope)

    @scoped
    def contrib_avg_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC", outputs_collections=None,
                           scope=None):
        return _pool("avg", 2, inputs, kernel_size, stride, padding, data_format, scope)

    @scoped
    def contrib_dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True, outputs_collections=None,
                        scope=None, seed=None):
        return dropout(inputs, rate=1.0 - keep_prob, noise_shape=noise_shape, seed=seed, training=is_training, name=scope)

    @scoped
    def contrib_batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
                           param_initializers=None, param_regularizers=None, updates_collections=None,
                           is_training=True, reuse=None, variables_collections=None, outputs_collections=None,
                           trainable=True, batch_weights=None, fused=None, data_format="NHWC",
                           zero_debias_moving_mean=False, scope=None, renorm=False, renorm_clipping=None,
                           renorm_decay=0.99, adjustment=None):
        axis = 1 if data_format == "NCHW" else -1
        outputs = batch_normalization(inputs, axis=axis, momentum=decay, epsilon=epsilon, center=center, scale=scale,
                                      training=is_training, trainable=trainable, name=scope, reuse=reuse)
        return activation_fn(outputs) if activation_fn is not None else outputs

    contrib_fully_connected = fully_connected
    functions = {
        "dense": dense, "conv1d": conv1d, "conv2d": conv2d, "conv2d_transpose": conv2d_transpose,
        "max_pooling1d": max_pooling1d, "max_pooling2d": max_pooling2d,
        "average_pooling1d": average_pooling1d, "average_pooling2d": average_pooling2d,
        "max_pool2d": max_pooling2d, "avg_pool2d": average_pooling2d,
        "flatten": flatten, "dropout": dropout, "batch_normalization": batch_normalization,
        "batch_norm": batch_normalization, "layer_norm": layer_norm, "arg_scope": arg_scope,
        "contrib_fully_connected": contrib_fully_connected, "contrib_conv2d": contrib_conv2d,
        "contrib_conv2d_transpose": contrib_conv2d_transpose, "contrib_max_pool2d": contrib_max_pool2d,
        "contrib_avg_pool2d": contrib_avg_pool2d, "contrib_dropout": contrib_dropout,
        "contrib_batch_norm": contrib_batch_norm,
    }
    return functions
