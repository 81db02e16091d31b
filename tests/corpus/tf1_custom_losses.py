"""TF1 regression model with hand-written metrics used as losses: cosine similarity, relative error, and
a standard deviation from E[x^2] - E[x]^2.

Bugs: both divisions can divide by 0, and E[x^2] - E[x]^2 can come out slightly negative in floating
point (catastrophic cancellation), so its square root is NaN. The RMSE is fine: a mean of squares is >= 0.
"""
import numpy as np
import tensorflow as tf

features = tf.placeholder(tf.float32, [None, 16], name="features")
target = tf.placeholder(tf.float32, [None, 4], name="target")

W = tf.Variable(tf.truncated_normal([16, 4], stddev=0.1), name="W")
b = tf.Variable(tf.zeros([4]), name="b")
prediction = tf.matmul(features, W) + b

dot = tf.reduce_sum(prediction * target, axis=1)
norm_prediction = tf.sqrt(tf.reduce_sum(tf.square(prediction), axis=1))
norm_target = tf.sqrt(tf.reduce_sum(tf.square(target), axis=1))
cosine = dot / (norm_prediction * norm_target)  # expect: NS105
relative_error = tf.reduce_mean(tf.abs(prediction - target) / tf.abs(target))  # expect: NS105
rmse = tf.sqrt(tf.reduce_mean(tf.square(prediction - target)))
variance = tf.reduce_mean(tf.square(prediction)) - tf.square(tf.reduce_mean(prediction))
spread = tf.sqrt(variance)  # expect: NS107
loss = rmse + relative_error - tf.reduce_mean(cosine) + 0.1 * spread
train = tf.train.GradientDescentOptimizer(0.01).minimize(loss)

sess = tf.Session()
sess.run(tf.global_variables_initializer())
sess.run(train, feed_dict={features: np.random.randn(8, 16), target: np.random.randn(8, 4)})
