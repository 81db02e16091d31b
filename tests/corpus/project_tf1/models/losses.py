"""Losses for the TF1 corpus project."""
import tensorflow as tf


def cross_entropy(probabilities, labels):
    return tf.reduce_mean(-tf.reduce_sum(labels * tf.log(probabilities), reduction_indices=[1]))  # expect: NS101


def l2_penalty():
    return tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if "kernel" in v.name])
