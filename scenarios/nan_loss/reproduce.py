"""Question 5's training loop, seeded: the loss curves the page plots.

Self-contained eager TensorFlow: paste it into a notebook and get the
numbers on screen. The data and initial weights come from the seed with the
same NumPy calls as the engine; the engine's data-scale and data-index
variables become a plain multiplication, its compiled loop a plain Python
loop with a fresh model and a fresh public `tf.keras.optimizers.Adam` or
`SGD(learning_rate=..., clipnorm=...)`. Like every scenario's "Show code",
its last line of output is JSON mapping each plotted series to its losses
(NaN after a run stopped; json writes `NaN`/`Infinity`).
"""

import json

import numpy as np
import tensorflow as tf

# The page's settings. DATA_SCALE is the log10 of the magnitude of the inputs
# and targets. RUNS maps each curve of the chart to whether it clips the
# gradients (clipnorm=CLIPNORM): the question's loop, then, with "Compare with
# gradient clipping" on, the same loop clipped. DATA_SIZE, FEATURES and
# HIDDEN_UNITS are the data's and the model's fixed sizes.
# --- parameters (the app rewrites this block with the values on screen) ---
SEED = 0
OPTIMIZER = 'Adam'
LEARNING_RATE = 1.0
DATA_SCALE = 0.0
EPOCHS = 10
RUNS = {'Adam, learning rate 1': False}
DATA_SIZE = 128
FEATURES = 4
HIDDEN_UNITS = 10
CLIPNORM = 1.0
# --- end of parameters ---

# The data: DATA_SIZE examples of FEATURES standard-normal features and a linear-ish target.
rng = np.random.default_rng(SEED)
x = rng.standard_normal((DATA_SIZE, FEATURES))
true_w = rng.standard_normal((FEATURES, 1))
y = x @ true_w + 0.3 * np.tanh(x[:, :1]) + 0.1 * rng.standard_normal((DATA_SIZE, 1))


# The initial weights: Glorot-uniform kernels and zero biases, from the same generator.
def glorot(fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out))


initial_weights = [glorot(FEATURES, HIDDEN_UNITS), np.zeros(HIDDEN_UNITS), glorot(HIDDEN_UNITS, 1), np.zeros(1)]
initial_weights = [w.astype(np.float32) for w in initial_weights]

# Raw, unnormalised data: inputs and targets times 10**DATA_SCALE (same relation, bigger numbers).
scale = np.float32(10.0 ** DATA_SCALE)
x = x.astype(np.float32) * scale
y = y.astype(np.float32) * scale


def train(clipped):
    """The question's loop: the loss before each update, then after the last one."""
    model = tf.keras.Sequential([
        tf.keras.Input((FEATURES,)),
        tf.keras.layers.Dense(HIDDEN_UNITS, activation="relu"),
        tf.keras.layers.Dense(1),
    ])
    model.set_weights(initial_weights)
    # clipnorm rescales each gradient whose norm is above CLIPNORM to norm CLIPNORM before the update.
    clip = {"clipnorm": CLIPNORM} if clipped else {}
    optimizer = getattr(tf.keras.optimizers, OPTIMIZER)(learning_rate=LEARNING_RATE, **clip)
    losses = []
    for epoch in range(EPOCHS + 1):
        with tf.GradientTape() as tape:
            predictions = model(x, training=True)
            loss = tf.reduce_mean(tf.square(y - predictions))
        losses.append(float(loss))
        if epoch == EPOCHS or not np.isfinite(losses[-1]):
            break  # the last epoch, or the loss is NaN/Inf: stop there
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    # A run that stopped early is padded with NaN, so every curve has EPOCHS + 1 points.
    return losses + [float("nan")] * (EPOCHS + 1 - len(losses))


curves = {}
for name, clipped in RUNS.items():
    losses = train(clipped)
    curves[name] = losses
    if np.isfinite(losses[-1]):
        print(f"{name}: loss {losses[0]:.4g} at epoch 0, {losses[-1]:.4g} after {EPOCHS} epochs")
    else:
        stopped = next(epoch for epoch, loss in enumerate(losses) if not np.isfinite(loss))
        print(f"{name}: the loss became {losses[stopped]} at epoch {stopped}")

print(json.dumps(curves))
