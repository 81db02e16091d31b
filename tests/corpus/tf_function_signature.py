"""TensorFlow 2 tf.functions with input signatures (exported for serving); the script never calls them.

Bugs: the entropy takes the log of probabilities that can be 0, and the z-score divides by a standard
deviation that is 0 for a constant row.
"""
import tensorflow as tf


@tf.function(input_signature=[tf.TensorSpec([None, 10], tf.float32, name="probabilities")])
def entropy(p):
    return -tf.reduce_sum(p * tf.math.log(p), axis=1)  # expect: NS101


@tf.function(input_signature=[tf.TensorSpec([None, 32], tf.float32, name="rows")])
def z_score(x):
    mean, variance = tf.nn.moments(x, axes=[1], keepdims=True)
    return (x - mean) / tf.sqrt(variance)  # expect: NS105


if __name__ == "__main__":
    tf.saved_model.save(tf.Module(), "exported")
