"""Stand-ins for the TF1 RNN cells (`tf.nn.rnn_cell.*`, `tf.contrib.rnn.*`), used when TensorFlow's own
legacy cells do not import. They follow the RNNCell protocol that `tf.compat.v1.nn.dynamic_rnn` and
`static_rnn` use (`state_size`, `output_size`, `zero_state`, `__call__(inputs, state)`), and create their
variables once, in one variable scope, whatever the number of time steps.
"""
from __future__ import annotations

import collections

LSTMStateTuple = collections.namedtuple("LSTMStateTuple", ("c", "h"))


def build(tf):
    v1 = tf.compat.v1

    class RNNCell:
        default_name = "rnn_cell"

        def __init__(self, num_units=None, activation=None, reuse=None, name=None, dtype=None, **unused):
            self._num_units = num_units
            self._activation = activation or tf.tanh
            self._name = name
            self._scope = None

        @property
        def output_size(self):
            return self._num_units

        @property
        def state_size(self):
            return self._num_units

        def zero_state(self, batch_size, dtype):
            return tf.nest.map_structure(lambda size: tf.zeros(tf.stack([batch_size, size]), dtype=dtype),
                                         self.state_size)

        def __call__(self, inputs, state, scope=None):
            if self._scope is None:
                with v1.variable_scope(scope or self._name, default_name=self.default_name) as opened:
                    self._scope = opened
                    return self.call(inputs, state)
            with v1.variable_scope(self._scope, reuse=True):
                return self.call(inputs, state)

        def _linear(self, args, size, name, bias_start=0.0):
            joined = tf.concat(args, axis=1)
            kernel = v1.get_variable(f"{name}/kernel", [int(joined.shape[-1]), size], dtype=joined.dtype)
            bias = v1.get_variable(f"{name}/bias", [size], dtype=joined.dtype,
                                   initializer=v1.constant_initializer(bias_start))
            return tf.nn.bias_add(tf.matmul(joined, kernel), bias)

    class BasicRNNCell(RNNCell):
        default_name = "basic_rnn_cell"

        def call(self, inputs, state):
            output = self._activation(self._linear([inputs, state], self._num_units, "basic"))
            return output, output

    class BasicLSTMCell(RNNCell):
        default_name = "basic_lstm_cell"

        def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None,
                     name=None, dtype=None, **unused):
            super().__init__(num_units, activation, reuse, name, dtype)
            self._forget_bias = forget_bias
            self._state_is_tuple = state_is_tuple

        @property
        def state_size(self):
            if self._state_is_tuple:
                return LSTMStateTuple(self._num_units, self._num_units)
            return 2 * self._num_units

        def call(self, inputs, state):
            if self._state_is_tuple:
                c, h = state
            else:
                c, h = tf.split(state, 2, axis=1)
            gates = self._linear([inputs, h], 4 * self._num_units, "lstm")
            i, j, f, o = tf.split(gates, 4, axis=1)
            new_c = c * tf.sigmoid(f + self._forget_bias) + tf.sigmoid(i) * self._activation(j)
            new_h = self._activation(new_c) * tf.sigmoid(o)
            new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else tf.concat([new_c, new_h], 1)
            return new_h, new_state

    class LSTMCell(BasicLSTMCell):
        default_name = "lstm_cell"

        def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None, num_proj=None,
                     proj_clip=None, num_unit_shards=None, num_proj_shards=None, forget_bias=1.0,
                     state_is_tuple=True, activation=None, reuse=None, name=None, dtype=None, **unused):
            super().__init__(num_units, forget_bias, state_is_tuple, activation, reuse, name, dtype)

    class GRUCell(RNNCell):
        default_name = "gru_cell"

        def call(self, inputs, state):
            gates = tf.sigmoid(self._linear([inputs, state], 2 * self._num_units, "gates", bias_start=1.0))
            r, u = tf.split(gates, 2, axis=1)
            candidate = self._activation(self._linear([inputs, r * state], self._num_units, "candidate"))
            new_h = u * state + (1 - u) * candidate
            return new_h, new_h

    class MultiRNNCell(RNNCell):
        default_name = "multi_rnn_cell"

        def __init__(self, cells, state_is_tuple=True):
            super().__init__()
            self._cells = list(cells)

        @property
        def state_size(self):
            return tuple(cell.state_size for cell in self._cells)

        @property
        def output_size(self):
            return self._cells[-1].output_size

        def zero_state(self, batch_size, dtype):
            return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)

        def call(self, inputs, state):
            output, new_states = inputs, []
            for index, cell in enumerate(self._cells):
                with v1.variable_scope(f"cell_{index}"):
                    output, new_state = cell(output, state[index])
                new_states.append(new_state)
            return output, tuple(new_states)

    class DropoutWrapper(RNNCell):
        def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0, **unused):
            super().__init__()
            self._cell = cell
            self._input_keep_prob = input_keep_prob
            self._output_keep_prob = output_keep_prob

        @property
        def state_size(self):
            return self._cell.state_size

        @property
        def output_size(self):
            return self._cell.output_size

        def zero_state(self, batch_size, dtype):
            return self._cell.zero_state(batch_size, dtype)

        def _dropout(self, value, keep_prob):
            if isinstance(keep_prob, (int, float)) and keep_prob >= 1.0:
                return value
            return tf.nn.dropout(value, rate=1.0 - keep_prob)

        def __call__(self, inputs, state, scope=None):
            output, new_state = self._cell(self._dropout(inputs, self._input_keep_prob), state, scope)
            return self._dropout(output, self._output_keep_prob), new_state

    return {"RNNCell": RNNCell, "BasicRNNCell": BasicRNNCell, "BasicLSTMCell": BasicLSTMCell,
            "LSTMCell": LSTMCell, "GRUCell": GRUCell, "MultiRNNCell": MultiRNNCell,
            "DropoutWrapper": DropoutWrapper, "LSTMStateTuple": LSTMStateTuple}
