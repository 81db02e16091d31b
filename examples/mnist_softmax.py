"""Softmax regression on MNIST, TensorFlow 1 style: the classic numerical bug of the DEBAR slides.

`tf.log(y)` receives the softmax output, which underflows to exactly 0 for a confident wrong
class; the log is then -inf and the cross entropy turns into NaN during training.
"""
import numpy as np
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 784], name="x")
W = tf.Variable(tf.zeros([784, 10]), name="W")
b = tf.Variable(tf.zeros([10]), name="b")
y = tf.nn.softmax(tf.matmul(x, W) + b)

y_ = tf.placeholder(tf.float32, [None, 10], name="y_")
cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), axis=1))
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)

sess = tf.Session()
sess.run(tf.global_variables_initializer())
for _ in range(1000):
    batch_xs = np.random.rand(100, 784).astype(np.float32)
    batch_ys = np.eye(10, dtype=np.float32)[np.random.randint(0, 10, 100)]
    sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})
