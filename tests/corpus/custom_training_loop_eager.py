"""TensorFlow 2 eager training loop at module level (no tf.function): a GradientTape around a Keras model,
with the loss computed from logits, so no log of a probability is ever taken; the regulariser divides
by the number of weights plus one. Nothing here can produce NaN or Inf.
"""
import numpy as np
import tensorflow as tf

features = np.random.rand(256, 20).astype("float32")
targets = np.random.randint(0, 3, 256)
model = tf.keras.Sequential([tf.keras.Input((20,)), tf.keras.layers.Dense(16, activation="tanh"),
                             tf.keras.layers.Dense(3)])
optimizer = tf.keras.optimizers.SGD(0.1)

for step in range(1000):
    index = np.random.randint(0, 256, 32)
    with tf.GradientTape() as tape:
        logits = model(features[index])
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets[index], logits=logits))
        penalty = tf.add_n([tf.reduce_sum(tf.square(w)) for w in model.trainable_weights])
        loss += 1e-4 * penalty / (len(model.trainable_weights) + 1.0)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
