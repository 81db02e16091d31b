"""The same softmax regression with the fix: the softmax output is clipped before the log.

nanscope proves the log safe: its input lies in [1e-10, 1].
"""
import numpy as np
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 784], name="x")
W = tf.Variable(tf.zeros([784, 10]), name="W")
b = tf.Variable(tf.zeros([10]), name="b")
y = tf.nn.softmax(tf.matmul(x, W) + b)

y_ = tf.placeholder(tf.float32, [None, 10], name="y_")
cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)), axis=1))
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)

sess = tf.Session()
sess.run(tf.global_variables_initializer())
for _ in range(1000):
    batch_xs = np.random.rand(100, 784).astype(np.float32)
    batch_ys = np.eye(10, dtype=np.float32)[np.random.randint(0, 10, 100)]
    sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})
