"""Keras 3 functional model: two inputs, an L2-normalised embedding built from keras.ops, a sigmoid output
and a hand-written binary cross entropy.

Bugs: the embedding is divided by its norm (0 for an all-zero ReLU output), and the loss takes the log of
sigmoid outputs that can round to exactly 0 or 1.
"""
import numpy as np
import keras
from keras import layers, ops

image = keras.Input(shape=(64,), name="image")
meta = keras.Input(shape=(8,), name="meta")
hidden = layers.Dense(32, activation="relu")(layers.Concatenate()([image, meta]))
norm = ops.sqrt(ops.sum(ops.square(hidden), axis=-1, keepdims=True))
embedding = hidden / norm  # expect: NS105
score = layers.Dense(1, activation="sigmoid", name="score")(embedding)
model = keras.Model(inputs=[image, meta], outputs=score)


def binary_cross_entropy(y_true, y_pred):
    return -ops.mean(y_true * ops.log(y_pred) + (1.0 - y_true) * ops.log(1.0 - y_pred))  # expect: NS101 NS101


model.compile(optimizer=keras.optimizers.SGD(0.01), loss=binary_cross_entropy)
images = np.random.rand(512, 64).astype("float32")
metas = np.random.rand(512, 8).astype("float32")
labels = np.random.randint(0, 2, (512, 1)).astype("float32")
model.fit([images, metas], labels, batch_size=32, epochs=10)
