"""A focal loss written by hand."""
import tensorflow as tf


def focal_loss(y_true, y_pred, gamma=2.0):
    p_t = tf.reduce_sum(y_true * y_pred, axis=-1)
    return -tf.reduce_mean(tf.pow(1.0 - p_t, gamma) * tf.math.log(p_t))  # expect: NS101
