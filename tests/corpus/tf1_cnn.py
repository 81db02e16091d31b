"""TF1 CNN on MNIST: tf.layers convolutions and pooling, tf.contrib initializers, an L2-normalised embedding.

Bugs: the log of the softmax can see 0; the embedding is divided by its norm, which is 0 for an
all-zero feature vector (after a ReLU that is easy to hit). Dropout divides by the fed keep probability:
the first feed gives it 0.5, so under that observed range the division is proven safe (an annotation or
--range would override it).
"""
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("/tmp/data/", one_hot=True, reshape=False)

images = tf.placeholder(tf.float32, [None, 28, 28, 1], name="images")
labels = tf.placeholder(tf.float32, [None, 10], name="labels")
keep_prob = tf.placeholder(tf.float32, name="keep_prob")

init = tf.contrib.layers.xavier_initializer()
conv1 = tf.layers.conv2d(images, 32, 5, padding="same", activation=tf.nn.relu, kernel_initializer=init)
pool1 = tf.layers.max_pooling2d(conv1, 2, 2)
conv2 = tf.layers.conv2d(pool1, 64, 5, padding="same", activation=tf.nn.relu, kernel_initializer=init)
pool2 = tf.layers.max_pooling2d(conv2, 2, 2)
features = tf.layers.flatten(pool2)
embedding = tf.layers.dense(features, 128, activation=tf.nn.relu)
norm = tf.sqrt(tf.reduce_sum(tf.square(embedding), axis=1, keepdims=True))
embedding = embedding / norm  # expect: NS105
dropped = tf.nn.dropout(embedding, keep_prob)
probabilities = tf.nn.softmax(tf.layers.dense(dropped, 10))
loss = -tf.reduce_mean(tf.reduce_sum(labels * tf.log(probabilities), axis=1))  # expect: NS101
optimizer = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)

sess = tf.InteractiveSession()
tf.global_variables_initializer().run()
for i in range(10000):
    batch = mnist.train.next_batch(50)
    optimizer.run(feed_dict={images: batch[0], labels: batch[1], keep_prob: 0.5})
