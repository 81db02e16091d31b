"""A 2017-era TF1 text classifier: tf.contrib layers and RNN cells, a static RNN, a Keras layer on a
placeholder, tf.losses, and NumPy aliases that NumPy has since removed.

Bugs: the class weights are the reciprocals of fed class counts (0 for an absent class), and the
Poisson-style rate exp(logit) is unbounded.
"""
import numpy as np
import tensorflow as tf
from tensorflow.contrib import rnn

VOCAB, STEPS, CLASSES = 5000, 20, 4
tokens = tf.placeholder(tf.int32, [None, STEPS], name="tokens")
labels = tf.placeholder(tf.float32, [None, CLASSES], name="labels")
class_counts = tf.placeholder(tf.float32, [CLASSES], name="class_counts")

embedding = tf.get_variable("embedding", [VOCAB, 64], initializer=tf.contrib.layers.xavier_initializer())
embedded = tf.nn.embedding_lookup(embedding, tokens)
cell = rnn.MultiRNNCell([rnn.LSTMCell(64), rnn.LSTMCell(64)])
outputs, _ = rnn.static_rnn(cell, tf.unstack(embedded, STEPS, axis=1), dtype=tf.float32)
hidden = tf.contrib.layers.fully_connected(outputs[-1], 32,
                                           weights_regularizer=tf.contrib.layers.l2_regularizer(1e-4))
logits = tf.keras.layers.Dense(CLASSES)(hidden)
probabilities = tf.nn.sigmoid(logits)

class_weights = 1.0 / class_counts  # expect: NS105
loss = tf.losses.log_loss(labels, probabilities, weights=class_weights[None, :])
rate = tf.exp(logits[:, 0])  # expect: NS103
loss += tf.reduce_mean(rate - labels[:, 0] * logits[:, 0])
train = tf.train.GradientDescentOptimizer(0.05).minimize(loss + tf.losses.get_regularization_loss())

counts = np.array([0, 20, 30, 40], dtype=np.float)   # the first class is absent from this batch
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(train, {tokens: np.zeros((8, STEPS), np.int), labels: np.zeros((8, CLASSES)), class_counts: counts})
