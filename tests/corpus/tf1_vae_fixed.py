"""TF1 variational autoencoder on MNIST, fixed: the log-variance is clipped to [-10, 10] before any exp,
and the reconstruction loss keeps its log arguments away from 0 with an epsilon.
"""
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("MNIST_data", one_hot=True)
LATENT = 20
EPS = 1e-7

x = tf.placeholder(tf.float32, [None, 784], name="x")
h = tf.layers.dense(x, 512, activation=tf.nn.relu)
mu = tf.layers.dense(h, LATENT)
log_var = tf.clip_by_value(tf.layers.dense(h, LATENT), -10.0, 10.0)
eps = tf.random_normal(tf.shape(mu))
z = mu + tf.exp(0.5 * log_var) * eps
h_dec = tf.layers.dense(z, 512, activation=tf.nn.relu)
x_hat = tf.layers.dense(h_dec, 784, activation=tf.nn.sigmoid)

reconstruction = -tf.reduce_sum(x * tf.log(x_hat + EPS) + (1 - x) * tf.log(1 - x_hat + EPS), axis=1)
kl = -0.5 * tf.reduce_sum(1 + log_var - tf.square(mu) - tf.exp(log_var), axis=1)
loss = tf.reduce_mean(reconstruction + kl)
train = tf.train.AdamOptimizer(1e-3).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for epoch in range(100):
        for _ in range(mnist.train.num_examples // 100):
            batch, _ = mnist.train.next_batch(100)
            sess.run(train, feed_dict={x: batch})
