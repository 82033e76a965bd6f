"""Question 3: five Keras optimizers on common and rare features, in plain eager Keras.

The page's loss chart, self-contained: the same NumPy draws for the true
and initial weights, the data and the mini-batch order, and a fresh
`Dense(1, use_bias=False)` per optimizer trained in a plain Python loop
on the same mini-batch slices. Each optimizer runs at its tuned learning
rate, written into the parameters below: the app trained each one on a
grid of learning rates for exactly these settings and kept the one with
the lowest final full-data loss (its "How each learning rate was picked"
chart); here only the winners run. Like every scenario's "Show code",
its last line of output is JSON mapping each plotted series to its losses.
"""

import json

import numpy as np
import tensorflow as tf

# --- parameters (the app rewrites this block with the values on screen) ---
SEED = 0
SPARSITY = 0.99
STEPS = 100
ALL_RARE = False
N_EXAMPLES = 1024
N_COMMON = 8
N_FEATURES = 16
BATCH_SIZE = 32
COMMON_NONZERO_SHARE = 0.5
NOISE_STD = 0.05
TRUE_WEIGHT_RANGE = (0.5, 1.5)
WEIGHTS_STREAM = 0
DATA_STREAM = 1
ORDER_STREAM = 2
MOMENTUM = 0.9
SGD_LEARNING_RATE = 1.0
SGD_SERIES = 'SGD, lr 1'
MOMENTUM_LEARNING_RATE = 0.1
MOMENTUM_SERIES = 'SGD (momentum 0.9), lr 0.1'
ADAGRAD_LEARNING_RATE = 1.0
ADAGRAD_SERIES = 'Adagrad, lr 1'
RMSPROP_LEARNING_RATE = 0.1
RMSPROP_SERIES = 'RMSprop, lr 0.1'
ADAM_LEARNING_RATE = 0.1
ADAM_SERIES = 'Adam, lr 0.1'
# --- end of parameters ---

# The true weights (random signs and sizes) and the initial weights
# (Glorot-uniform, like a fresh Dense(1) kernel), from their own random stream.
weights_rng = np.random.default_rng([SEED, WEIGHTS_STREAM])
signs = weights_rng.choice([-1.0, 1.0], N_FEATURES)
true_weights = signs * weights_rng.uniform(*TRUE_WEIGHT_RANGE, N_FEATURES)
limit = np.sqrt(6.0 / (N_FEATURES + 1))
initial_kernel = weights_rng.uniform(-limit, limit, (N_FEATURES, 1))

# The data: standard normal values, kept in a few examples only. A common feature is
# non-zero in a share COMMON_NONZERO_SHARE of the examples, a rare one in a share
# 1 - SPARSITY of them (exactly that many, at random positions); with ALL_RARE every
# feature is rare (the control run). y = x . true_weights + noise.
data_rng = np.random.default_rng([SEED, DATA_STREAM])
values = data_rng.standard_normal((N_EXAMPLES, N_FEATURES))
noise = NOISE_STD * data_rng.standard_normal(N_EXAMPLES)
shares = np.full(N_FEATURES, 1.0 - SPARSITY)
if not ALL_RARE:
    shares[:N_COMMON] = COMMON_NONZERO_SHARE
counts = np.maximum(1, np.round(shares * N_EXAMPLES)).astype(int)
mask = np.zeros((N_EXAMPLES, N_FEATURES), bool)
for feature, count in enumerate(counts):
    mask[data_rng.permutation(N_EXAMPLES)[:count], feature] = True
x = (values * mask).astype(np.float32)
y = (x.astype(np.float64) @ true_weights + noise).astype(np.float32)[:, None]

# The mini-batches: the examples reshuffled every epoch, cut into batches of BATCH_SIZE.
order_rng = np.random.default_rng([SEED, ORDER_STREAM])
epochs = -(-STEPS * BATCH_SIZE // N_EXAMPLES)  # enough epochs for STEPS batches
order = np.concatenate([order_rng.permutation(N_EXAMPLES) for _ in range(epochs)])
batches = order[: STEPS * BATCH_SIZE].reshape(STEPS, BATCH_SIZE)


def train(optimizer):
    """A fresh linear model from the same initial weights, trained on the mini-batches.

    Returns the full-data loss before each update (then after the last one) and
    the final weights. A run stops at its first non-finite loss.
    """
    model = tf.keras.Sequential([tf.keras.Input((N_FEATURES,)), tf.keras.layers.Dense(1, use_bias=False)])
    model.set_weights([initial_kernel])
    losses = []
    for step in range(STEPS + 1):
        losses.append(float(tf.reduce_mean(tf.square(y - model(x)))))  # mean squared error, all data
        if step == STEPS or not np.isfinite(losses[-1]):
            break
        batch = batches[step]
        with tf.GradientTape() as tape:
            batch_loss = tf.reduce_mean(tf.square(y[batch] - model(x[batch], training=True)))
        gradients = tape.gradient(batch_loss, model.trainable_variables)
        # A rare weight whose feature is absent from the batch gets a gradient of exactly 0.
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
    # A run that stopped early is padded with NaN, so every curve has STEPS + 1 points.
    return losses + [float("nan")] * (STEPS + 1 - len(losses)), model.get_weights()[0][:, 0]


# Each optimizer at its tuned learning rate, everything else at Keras's defaults.
optimizers = {
    SGD_SERIES: tf.keras.optimizers.SGD(learning_rate=SGD_LEARNING_RATE),
    MOMENTUM_SERIES: tf.keras.optimizers.SGD(learning_rate=MOMENTUM_LEARNING_RATE, momentum=MOMENTUM),
    ADAGRAD_SERIES: tf.keras.optimizers.Adagrad(learning_rate=ADAGRAD_LEARNING_RATE),
    RMSPROP_SERIES: tf.keras.optimizers.RMSprop(learning_rate=RMSPROP_LEARNING_RATE),
    ADAM_SERIES: tf.keras.optimizers.Adam(learning_rate=ADAM_LEARNING_RATE),
}

curves = {}
for name, optimizer in optimizers.items():
    losses, weights = train(optimizer)
    curves[name] = losses
    rare_error = np.sqrt(np.mean((weights[N_COMMON:] - true_weights[N_COMMON:]) ** 2))
    print(f"{name}: loss {losses[0]:.4g} -> {losses[-1]:.4g}, rare-weight RMS error {rare_error:.3f}")

print(json.dumps(curves))
