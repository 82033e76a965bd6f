"""Question 2's snippet, seeded and looped: the loss curve the page plots.

Self-contained eager TensorFlow: paste it into a notebook and get the
numbers on screen. Like every scenario's "Show code", its last line of
output is JSON mapping each plotted series to its losses.
"""

import json

import numpy as np
import tensorflow as tf

# --- parameters (the app rewrites this block with the values on screen) ---
SEED = 42
LEARNING_RATE = 0.01
STEPS = 100
SERIES = 'RMSprop, learning rate 0.01'
# --- end of parameters ---

tf.keras.utils.set_random_seed(SEED)

x = np.array([[1.0], [2.0], [3.0], [4.0]])
y = np.array([[2.0], [4.0], [6.0], [8.0]])
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.RMSprop(learning_rate=LEARNING_RATE)
loss_fn = tf.keras.losses.MeanSquaredError()

losses = []  # the loss before each update, then after the last one
for step in range(STEPS + 1):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    losses.append(float(loss))
    if step == STEPS or not np.isfinite(losses[-1]):
        break
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

print("printed by the question's snippet:", round(losses[0], 3))
print(json.dumps({SERIES: losses}))
