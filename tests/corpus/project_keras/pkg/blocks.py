"""A custom Keras layer: attention-like pooling that normalises non-negative scores by their sum."""
import keras
from keras import ops


class SumPooling(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.score = keras.layers.Dense(units, activation="relu")

    def call(self, inputs):
        scores = self.score(inputs)
        weights = scores / ops.sum(scores, axis=-1, keepdims=True)  # expect: NS105
        return weights * inputs
