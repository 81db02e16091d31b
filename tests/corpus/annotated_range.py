"""TF1 script whose input range is stated where the input is created: pixel intensities in [0, 1].

With that range, log(x + 1) and the division by (x + 0.5) are safe; without it (any float32 value) they
would not be.
"""
import numpy as np
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 784], name="x")  # nanscope: range=[0, 1]
features = tf.log(x + 1.0)
contrast = x / (x + 0.5)
score = tf.reduce_sum(features * contrast, axis=1)

with tf.Session() as sess:
    sess.run(score, feed_dict={x: np.random.rand(4, 784)})
