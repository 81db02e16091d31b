"""An MLP with tf.layers; the last layer is a softmax."""
import tensorflow as tf


def build_mlp(inputs, hidden_sizes, classes):
    h = inputs
    for index, size in enumerate(hidden_sizes):
        h = tf.layers.dense(h, size, activation=tf.nn.relu, name=f"hidden_{index}",
                            kernel_initializer=tf.truncated_normal_initializer(stddev=0.1))
    return tf.nn.softmax(tf.layers.dense(h, classes, name="logits"))
