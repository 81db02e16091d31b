"""TF1 variational autoencoder on MNIST: the encoder predicts a mean and a log-variance.

Bugs: exp of an unconstrained log-variance overflows (in the sampling and in the KL term), and the
Bernoulli reconstruction loss takes the log of sigmoid outputs that can round to 0 or 1.
"""
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("MNIST_data", one_hot=True)
LATENT = 20

x = tf.placeholder(tf.float32, [None, 784], name="x")
h = tf.layers.dense(x, 512, activation=tf.nn.relu)
mu = tf.layers.dense(h, LATENT)
log_var = tf.layers.dense(h, LATENT)
eps = tf.random_normal(tf.shape(mu))
z = mu + tf.exp(0.5 * log_var) * eps  # expect: NS103
h_dec = tf.layers.dense(z, 512, activation=tf.nn.relu)
x_hat = tf.layers.dense(h_dec, 784, activation=tf.nn.sigmoid)

reconstruction = -tf.reduce_sum(x * tf.log(x_hat) + (1 - x) * tf.log(1 - x_hat), axis=1)  # expect: NS101 NS101
kl = -0.5 * tf.reduce_sum(1 + log_var - tf.square(mu) - tf.exp(log_var), axis=1)  # expect: NS103
loss = tf.reduce_mean(reconstruction + kl)
train = tf.train.AdamOptimizer(1e-3).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for epoch in range(100):
        for _ in range(mnist.train.num_examples // 100):
            batch, _ = mnist.train.next_batch(100)
            sess.run(train, feed_dict={x: batch})
