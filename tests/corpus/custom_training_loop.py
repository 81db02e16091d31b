"""TensorFlow 2 custom training loop: a tf.function training step with a GradientTape over a Keras model,
fed from a tf.data pipeline of Fashion-MNIST.

Bug: the loss takes the log of the softmax probabilities, which can be exactly 0.
"""
import tensorflow as tf

(x_train, y_train), _ = tf.keras.datasets.fashion_mnist.load_data()
dataset = tf.data.Dataset.from_tensor_slices((x_train / 255.0, y_train)).shuffle(1000).batch(64)

model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
optimizer = tf.keras.optimizers.Adam(1e-3)


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        probabilities = model(images, training=True)
        picked = tf.gather(probabilities, labels, axis=1, batch_dims=1)
        loss = -tf.reduce_mean(tf.math.log(picked))  # expect: NS101
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


for epoch in range(100):
    for images, labels in dataset:
        train_step(tf.cast(images, tf.float32), tf.cast(labels, tf.int32))
