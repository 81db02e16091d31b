"""TF1 CNN on MNIST, fixed: the norm gets an epsilon, dropout takes a constant rate instead of a fed
keep probability (which could be fed 0), and the loss works on logits
(tf.nn.softmax_cross_entropy_with_logits_v2 never takes the log of a probability).
"""
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("/tmp/data/", one_hot=True, reshape=False)

images = tf.placeholder(tf.float32, [None, 28, 28, 1], name="images")
labels = tf.placeholder(tf.float32, [None, 10], name="labels")

init = tf.contrib.layers.xavier_initializer()
conv1 = tf.layers.conv2d(images, 32, 5, padding="same", activation=tf.nn.relu, kernel_initializer=init)
pool1 = tf.layers.max_pooling2d(conv1, 2, 2)
conv2 = tf.layers.conv2d(pool1, 64, 5, padding="same", activation=tf.nn.relu, kernel_initializer=init)
pool2 = tf.layers.max_pooling2d(conv2, 2, 2)
features = tf.layers.flatten(pool2)
embedding = tf.layers.dense(features, 128, activation=tf.nn.relu)
norm = tf.sqrt(tf.reduce_sum(tf.square(embedding), axis=1, keepdims=True))
embedding = embedding / (norm + 1e-6)
dropped = tf.nn.dropout(embedding, rate=0.5)
logits = tf.layers.dense(dropped, 10)
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))
optimizer = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)

sess = tf.InteractiveSession()
tf.global_variables_initializer().run()
for i in range(10000):
    batch = mnist.train.next_batch(50)
    optimizer.run(feed_dict={images: batch[0], labels: batch[1]})
