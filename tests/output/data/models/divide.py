"""Division by a placeholder that may be zero (NS105)."""
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 4], name="x")
d = tf.placeholder(tf.float32, [None, 4], name="d")
ratio = tf.reduce_sum(x / d)
