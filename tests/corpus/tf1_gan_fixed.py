"""TF1 GAN on MNIST, fixed: the discriminator returns logits and the losses use
tf.nn.sigmoid_cross_entropy_with_logits, which never takes the log of a probability.
"""
import numpy as np
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("MNIST_data", one_hot=False)
Z_DIM = 100


def generator(z):
    with tf.variable_scope("generator"):
        h = tf.layers.dense(z, 128, activation=tf.nn.leaky_relu)
        return tf.layers.dense(h, 784, activation=tf.nn.sigmoid)


def discriminator(x, reuse=False):
    with tf.variable_scope("discriminator", reuse=reuse):
        h = tf.layers.dense(x, 128, activation=tf.nn.leaky_relu)
        return tf.layers.dense(h, 1)


real = tf.placeholder(tf.float32, [None, 784], name="real")
z = tf.placeholder(tf.float32, [None, Z_DIM], name="z")
fake = generator(z)
d_real_logits = discriminator(real)
d_fake_logits = discriminator(fake, reuse=True)

bce = tf.nn.sigmoid_cross_entropy_with_logits
d_loss = tf.reduce_mean(bce(labels=tf.ones_like(d_real_logits), logits=d_real_logits)) + \
    tf.reduce_mean(bce(labels=tf.zeros_like(d_fake_logits), logits=d_fake_logits))
g_loss = tf.reduce_mean(bce(labels=tf.ones_like(d_fake_logits), logits=d_fake_logits))

t_vars = tf.trainable_variables()
d_step = tf.train.AdamOptimizer(2e-4, beta1=0.5).minimize(
    d_loss, var_list=[v for v in t_vars if v.name.startswith("discriminator")])
g_step = tf.train.AdamOptimizer(2e-4, beta1=0.5).minimize(
    g_loss, var_list=[v for v in t_vars if v.name.startswith("generator")])

sess = tf.Session()
sess.run(tf.global_variables_initializer())
for it in range(100000):
    batch, _ = mnist.train.next_batch(64)
    sess.run(d_step, feed_dict={real: batch, z: np.random.uniform(-1.0, 1.0, [64, Z_DIM])})
