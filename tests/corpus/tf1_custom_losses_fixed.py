"""TF1 regression model with hand-written metrics, fixed: epsilons keep both divisors away from 0, and
the variance is a mean of squared deviations (never negative) before its square root.
"""
import numpy as np
import tensorflow as tf

EPS = 1e-6
features = tf.placeholder(tf.float32, [None, 16], name="features")
target = tf.placeholder(tf.float32, [None, 4], name="target")

W = tf.Variable(tf.truncated_normal([16, 4], stddev=0.1), name="W")
b = tf.Variable(tf.zeros([4]), name="b")
prediction = tf.matmul(features, W) + b

dot = tf.reduce_sum(prediction * target, axis=1)
norm_prediction = tf.sqrt(tf.reduce_sum(tf.square(prediction), axis=1))
norm_target = tf.sqrt(tf.reduce_sum(tf.square(target), axis=1))
cosine = dot / (norm_prediction * norm_target + EPS)
relative_error = tf.reduce_mean(tf.abs(prediction - target) / (tf.abs(target) + EPS))
rmse = tf.sqrt(tf.reduce_mean(tf.square(prediction - target)))
mean, variance = tf.nn.moments(prediction, axes=[0, 1])
spread = tf.sqrt(variance + EPS)
loss = rmse + relative_error - tf.reduce_mean(cosine) + 0.1 * spread
train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)

sess = tf.Session()
sess.run(tf.global_variables_initializer())
sess.run(train, feed_dict={features: np.random.randn(8, 16), target: np.random.randn(8, 4)})
