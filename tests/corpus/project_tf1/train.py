"""A TF1 training script split over a package: the model and the loss live in models/.

The buggy line is in models/losses.py; nanscope traces this entry point and reports it there.
"""
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

from models.losses import cross_entropy, l2_penalty
from models.mlp import build_mlp

mnist = input_data.read_data_sets("data", one_hot=True)
x = tf.placeholder(tf.float32, [None, 784], name="x")
y_ = tf.placeholder(tf.float32, [None, 10], name="y_")
probabilities = build_mlp(x, [256, 128], 10)
loss = cross_entropy(probabilities, y_) + 1e-4 * l2_penalty()
train_op = tf.train.AdagradOptimizer(0.1).minimize(loss)

with tf.Session() as sess:
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    for step in range(5000):
        xs, ys = mnist.train.next_batch(128)
        sess.run(train_op, {x: xs, y_: ys})
