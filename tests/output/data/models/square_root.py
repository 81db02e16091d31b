"""A square root of a difference that may be negative (NS107), next to one that is proven safe."""
import tensorflow as tf

a = tf.placeholder(tf.float32, [8], name="a")
b = tf.placeholder(tf.float32, [8], name="b")
bad = tf.sqrt(a - b)
good = tf.sqrt(tf.square(a) + 1.0)
