"""Question 4's narrow valley: SGD with and without momentum, the loss curves the page plots.

Self-contained eager TensorFlow: paste it into a notebook and get the
numbers on screen. The engine swaps SGD's `momentum` for a variable-backed
stand-in so that sliders never retrace; this code uses the plain public
`tf.keras.optimizers.SGD(learning_rate=..., momentum=...)`, a fresh one per
run, in an ordinary Python loop. The bumpy landscape further down the page
has its own charts and is not part of this code. Like every scenario's
"Show code", its last line of output is JSON mapping each plotted series to
its losses.
"""

import json

import numpy as np
import tensorflow as tf

# The page's settings. RUNS maps each curve of the chart to its momentum: the
# chosen momentum, then plain SGD (momentum 0) with the same learning rate, or
# plain SGD alone when the chosen momentum is 0. WALL_CURVATURE (the valley's
# steep direction) and START (the weights' first value) are fixed.
# --- parameters (the app rewrites this block with the values on screen) ---
CONDITION_NUMBER = 50.0
LEARNING_RATE = 0.01
STEPS = 200
RUNS = {'momentum 0.9': 0.9, 'momentum 0 (plain SGD)': 0.0}
WALL_CURVATURE = 60.0
START = (-4.0, 1.0)
# --- end of parameters ---

# The narrow valley: loss(w) = 0.5 * (floor * w1**2 + wall * w2**2).
# The walls (across the valley, w2) are CONDITION_NUMBER times steeper
# than the floor (along the valley, w1); the minimum is at (0, 0).
floor = WALL_CURVATURE / CONDITION_NUMBER
curvatures = tf.constant(np.array([floor, WALL_CURVATURE], dtype=np.float32))


def valley_loss(w):
    return 0.5 * tf.reduce_sum(curvatures * tf.square(w))


def train(momentum):
    """SGD from w = START: the loss before each update, then after the last one."""
    w = tf.Variable(START, dtype=tf.float32)
    # Keras' SGD: velocity = momentum * velocity - learning_rate * gradient; w = w + velocity.
    # With momentum 0 that is plain SGD: w = w - learning_rate * gradient.
    optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=momentum)
    losses = []
    for step in range(STEPS + 1):
        with tf.GradientTape() as tape:
            loss = valley_loss(w)
        losses.append(float(loss))
        if step == STEPS or not np.isfinite(losses[-1]):
            break  # the last step, or the loss overflowed: stop there
        gradients = tape.gradient(loss, [w])
        optimizer.apply_gradients(zip(gradients, [w], strict=True))
    # A run that stopped early is padded with NaN, so every curve has STEPS + 1 points.
    return losses + [float("nan")] * (STEPS + 1 - len(losses))


curves = {}
for name, momentum in RUNS.items():
    losses = train(momentum)
    curves[name] = losses
    if np.isfinite(losses[-1]):
        print(f"{name}: loss {losses[0]:.4g} at the start, {losses[-1]:.4g} after {STEPS} steps")
    else:
        stopped = next(step for step, loss in enumerate(losses) if not np.isfinite(loss))
        print(f"{name}: the loss became non-finite at step {stopped}")

print(json.dumps(curves))
