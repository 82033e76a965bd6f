"""Question 1: Adam at a very high learning rate against Keras's default, in plain eager Keras.

The page's two loss curves, self-contained: the same NumPy draws for the
data, the initial weights and the mini-batch order, and a fresh
`tf.keras.optimizers.Adam` per run in a plain Python loop. (The app trains
a mini-batch through a sample-weight mask over all the rows, so that one
compiled graph serves both batchings; this code slices the rows out,
which is the same mean.) Like every scenario's "Show code", its last line
of output is JSON mapping each plotted series to its losses.
"""

import json

import numpy as np
import tensorflow as tf

# --- parameters (the app rewrites this block with the values on screen) ---
SEED = 0
STEPS = 300
LEARNING_RATE = 1.0
MINI_BATCH = False
N_EXAMPLES = 256
N_FEATURES = 3
HIDDEN_UNITS = 32
HIDDEN_LAYERS = 2
MINI_BATCH_SIZE = 32
REFERENCE_LEARNING_RATE = 0.001
SERIES = 'Adam, learning rate 1 (this run)'
REFERENCE_SERIES = 'Adam, learning rate 0.001 (Keras default)'
# --- end of parameters ---

TOTAL_UNITS = HIDDEN_UNITS * HIDDEN_LAYERS

# Data: a smooth nonlinear target, standardised so that always predicting
# the mean scores a loss of exactly 1.
rng = np.random.default_rng([SEED, 0])
x = rng.standard_normal((N_EXAMPLES, N_FEATURES))
directions = rng.standard_normal((N_FEATURES, 2)) / np.sqrt(N_FEATURES)
z = x @ directions
y = np.sin(2.0 * z[:, 0]) + 0.5 * z[:, 1] ** 2
y = (y - y.mean()) / y.std()
x, y = x.astype(np.float32), y[:, None].astype(np.float32)

# Initial weights: Glorot-uniform kernels and zero biases, drawn once and
# shared by both runs.
rng = np.random.default_rng([SEED, 1])
sizes = [N_FEATURES] + [HIDDEN_UNITS] * HIDDEN_LAYERS + [1]
initial_weights = []
for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    initial_weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
    initial_weights.append(np.zeros(fan_out, np.float32))

# Mini-batches: each epoch a fresh shuffle of the examples, cut into
# batches of MINI_BATCH_SIZE; step i trains on batches[i].
rng = np.random.default_rng([SEED, 2])
batches = []
while len(batches) < STEPS:
    batches.extend(rng.permutation(N_EXAMPLES).reshape(-1, MINI_BATCH_SIZE))

loss_fn = tf.keras.losses.MeanSquaredError()


def dead_relus(model):
    """Hidden units that output 0 for every training input."""
    h, dead = x, 0
    for layer in model.layers[:-1]:
        h = layer(h)
        dead += int(tf.reduce_sum(tf.cast(~tf.reduce_any(h > 0, axis=0), tf.int32)))
    return dead


def train(learning_rate):
    """The full-data loss before each update, then after the last one."""
    model = tf.keras.Sequential([
        tf.keras.Input((N_FEATURES,)),
        *[tf.keras.layers.Dense(HIDDEN_UNITS, activation="relu") for _ in range(HIDDEN_LAYERS)],
        tf.keras.layers.Dense(1),
    ])
    model.set_weights(initial_weights)
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    losses = []
    for step in range(STEPS + 1):
        losses.append(float(loss_fn(y, model(x, training=True))))
        if step == STEPS or not np.isfinite(losses[-1]):
            break  # the last step, or the loss overflowed: stop there
        rows = batches[step] if MINI_BATCH else slice(None)
        with tf.GradientTape() as tape:
            loss = loss_fn(y[rows], model(x[rows], training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
    print(f"learning rate {learning_rate:g}: {dead_relus(model)} of {TOTAL_UNITS} ReLUs dead at the end")
    # A run that stopped early is padded with NaN, so every curve has STEPS + 1 points.
    return losses + [float("nan")] * (STEPS + 1 - len(losses))


# The chart's curves: this learning rate, then Adam's default.
curves = {
    SERIES: train(LEARNING_RATE),
    REFERENCE_SERIES: train(REFERENCE_LEARNING_RATE),
}
for name, losses in curves.items():
    print(f"{name}: loss {losses[0]:.4g} at the start, peak {np.nanmax(losses):.4g}, {losses[-1]:.4g} at the end")
print(json.dumps(curves))
