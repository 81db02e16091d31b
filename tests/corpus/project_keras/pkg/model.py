"""Builds and compiles the model; nanscope calls build_model() (the configured entry point) and traces the
forward pass and the compiled loss of what it returns."""
import keras

from .blocks import SumPooling
from .losses import focal_loss


def build_model():
    inputs = keras.Input(shape=(32,), name="features")
    pooled = SumPooling(32)(inputs)
    hidden = keras.layers.Dense(64, activation="relu")(pooled)
    outputs = keras.layers.Dense(4, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=focal_loss)
    return model
