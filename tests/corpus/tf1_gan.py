"""TF1 GAN on MNIST: generator and discriminator built with variable scopes, the classic minimax losses.

Bugs: the losses take the log of sigmoid outputs; D(x) can round to exactly 1 and D(G(z)) to 0.
"""
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
        return tf.nn.sigmoid(tf.layers.dense(h, 1))


real = tf.placeholder(tf.float32, [None, 784], name="real")
z = tf.placeholder(tf.float32, [None, Z_DIM], name="z")
fake = generator(z)
d_real = discriminator(real)
d_fake = discriminator(fake, reuse=True)

d_loss = -tf.reduce_mean(tf.log(d_real) + tf.log(1.0 - d_fake))  # expect: NS101 NS101
g_loss = -tf.reduce_mean(tf.log(d_fake))  # expect: NS101

t_vars = tf.trainable_variables()
d_vars = [v for v in t_vars if v.name.startswith("discriminator")]
g_vars = [v for v in t_vars if v.name.startswith("generator")]
d_step = tf.train.AdamOptimizer(2e-4, beta1=0.5).minimize(d_loss, var_list=d_vars)
g_step = tf.train.AdamOptimizer(2e-4, beta1=0.5).minimize(g_loss, var_list=g_vars)

sess = tf.Session()
sess.run(tf.global_variables_initializer())
writer = tf.summary.FileWriter("logs/gan", sess.graph)
for it in range(100000):
    batch, _ = mnist.train.next_batch(64)
    noise = tf.random_uniform([64, Z_DIM], -1.0, 1.0).eval(session=sess)
    sess.run(d_step, feed_dict={real: batch, z: noise})
