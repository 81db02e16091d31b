"""A TF1 script that builds its model, then loads its training data from a file that is not there.

nanscope analyses the graph built before the failure (the log-loss bug is found) and reports the
failure itself at the line that raised.
"""
import numpy as np
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 30], name="x")
y = tf.placeholder(tf.float32, [None, 1], name="y")
W = tf.get_variable("W", [30, 1], initializer=tf.zeros_initializer())
b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
p = tf.sigmoid(tf.matmul(x, W) + b)
loss = -tf.reduce_mean(y * tf.log(p) + (1 - y) * tf.log(1 - p))  # expect: NS101 NS101

data = np.loadtxt("data/breast_cancer.csv", delimiter=",")  # expect-error: FileNotFoundError
train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(train, feed_dict={x: data[:, :30], y: data[:, 30:]})
