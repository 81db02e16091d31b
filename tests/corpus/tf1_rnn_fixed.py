"""TF1 sequence classifier, fixed: the masked mean divides by at least one time step."""
import numpy as np
import tensorflow as tf

BATCH, STEPS, FEATURES, CLASSES = 32, 40, 8, 5

inputs = tf.placeholder(tf.float32, [None, STEPS, FEATURES], name="inputs")
mask = tf.placeholder(tf.float32, [None, STEPS], name="mask")
targets = tf.placeholder(tf.int32, [None, STEPS], name="targets")

cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(64), tf.nn.rnn_cell.GRUCell(64)])
outputs, state = tf.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)
logits = tf.layers.dense(outputs, CLASSES)
step_losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
loss = tf.reduce_sum(step_losses * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
train_op = tf.train.RMSPropOptimizer(1e-3).minimize(loss)

saver = tf.train.Saver()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    while True:
        feed = {inputs: np.random.randn(BATCH, STEPS, FEATURES),
                mask: (np.random.rand(BATCH, STEPS) > 0.2).astype(np.float32),
                targets: np.random.randint(0, CLASSES, (BATCH, STEPS))}
        sess.run(train_op, feed_dict=feed)
        saver.save(sess, "checkpoints/rnn")
