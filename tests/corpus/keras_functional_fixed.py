"""Keras 3 functional model, fixed: the norm gets an epsilon, and the binary cross entropy clips the
probabilities into [eps, 1 - eps] before the logs.
"""
import numpy as np
import keras
from keras import layers, ops

EPS = 1e-6
image = keras.Input(shape=(64,), name="image")
meta = keras.Input(shape=(8,), name="meta")
hidden = layers.Dense(32, activation="relu")(layers.Concatenate()([image, meta]))
norm = ops.sqrt(ops.sum(ops.square(hidden), axis=-1, keepdims=True))
embedding = hidden / (norm + EPS)
score = layers.Dense(1, activation="sigmoid", name="score")(embedding)
model = keras.Model(inputs=[image, meta], outputs=score)


def binary_cross_entropy(y_true, y_pred):
    p = ops.clip(y_pred, EPS, 1.0 - EPS)
    return -ops.mean(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))


model.compile(optimizer=keras.optimizers.SGD(0.01), loss=binary_cross_entropy)
images = np.random.rand(512, 64).astype("float32")
metas = np.random.rand(512, 8).astype("float32")
labels = np.random.randint(0, 2, (512, 1)).astype("float32")
model.fit([images, metas], labels, batch_size=32, epochs=10)
