"""Keras 3 subclassed model that returns log-probabilities from its call(), trained with fit on CIFAR-10,
fixed: call() uses tf.nn.log_softmax on the logits instead of the log of a softmax.
"""
import tensorflow as tf

(x_train, y_train), _ = tf.keras.datasets.cifar10.load_data()
x_train = x_train.astype("float32") / 255.0


class Classifier(tf.keras.Model):
    def __init__(self, classes=10):
        super().__init__()
        self.conv = tf.keras.layers.Conv2D(16, 3, activation="relu")
        self.pool = tf.keras.layers.GlobalAveragePooling2D()
        self.hidden = tf.keras.layers.Dense(64, activation="relu")
        self.out = tf.keras.layers.Dense(classes)

    def call(self, inputs, training=False):
        h = self.hidden(self.pool(self.conv(inputs)))
        return tf.nn.log_softmax(self.out(h))


def nll(y_true, log_probs):
    y_true = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
    return -tf.reduce_mean(tf.gather(log_probs, y_true, axis=1, batch_dims=1))


model = Classifier()
model.compile(optimizer="adam", loss=nll)
model.fit(x_train, y_train, batch_size=128, epochs=30, callbacks=[tf.keras.callbacks.ModelCheckpoint("best.keras")])
