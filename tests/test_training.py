"""The shared compiled loop: a reset optimizer is a fresh Keras optimizer."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios._tf import tensorflow
from scenarios.training import CompiledTrainer


def _eager_losses(make_optimizer, w0, x, y, steps):
    tf = tensorflow()
    w = tf.Variable(w0)
    optimizer = make_optimizer()
    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.linalg.matvec(x, w) - y))
        losses.append(float(loss))
        optimizer.apply_gradients([(tape.gradient(loss, w), w)])
    return np.array(losses)


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "RMSprop", "SGD", "Adadelta"])
def test_reset_restores_every_optimizer_slot_to_its_fresh_value(name):
    """Adagrad's accumulators start at 0.1, not 0: a reset must say so."""
    tf = tensorflow()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32)
    w = tf.Variable(np.zeros(3, np.float32))

    def loss_fn(x, y, sample_weight):
        return tf.reduce_sum(sample_weight * tf.square(tf.linalg.matvec(x, w) - y)) / tf.reduce_sum(
            sample_weight)

    make = getattr(tf.keras.optimizers, name)
    trainer = CompiledTrainer(variables=[w], optimizer=make(learning_rate=0.1), loss_fn=loss_fn,
                              max_steps=50, jit_compile=False)
    w0 = rng.standard_normal(3).astype(np.float32)
    first = trainer.run([w0[None]], [[0.1]], 30, x, y).losses[0]
    second = trainer.run([w0[None]], [[0.1]], 30, x, y).losses[0]  # after a reset
    np.testing.assert_array_equal(first, second)
    expected = _eager_losses(lambda: make(learning_rate=0.1), w0, x, y, 30)
    np.testing.assert_allclose(second[:30], expected, rtol=1e-5)


def test_minibatches_as_row_indices_train_like_the_same_rows_as_weights():
    """Integer sample_weights are each step's rows: the loss sees only those, like a 0/1 mask."""
    tf = tensorflow()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32)
    w = tf.Variable(np.zeros(3, np.float32))

    def loss_fn(x, y, sample_weight):
        return tf.reduce_sum(sample_weight * tf.square(tf.linalg.matvec(x, w) - y)) / tf.reduce_sum(
            sample_weight)

    steps, batch = 20, 8
    rows = np.stack([rng.permutation(64)[:batch] for _ in range(steps)]).astype(np.int32)
    masks = np.zeros((steps, 64), np.float32)
    np.put_along_axis(masks, rows, 1.0, axis=1)
    w0 = rng.standard_normal(3).astype(np.float32)
    by_mask = CompiledTrainer(variables=[w], optimizer=tf.keras.optimizers.Adam(0.05), loss_fn=loss_fn,
                              max_steps=steps, jit_compile=False).run([w0[None]], [[0.05]], steps, x, y, masks)
    by_rows = CompiledTrainer(variables=[w], optimizer=tf.keras.optimizers.Adam(0.05), loss_fn=loss_fn,
                              max_steps=steps, jit_compile=False).run([w0[None]], [[0.05]], steps, x, y, rows)
    assert by_rows.losses[0, -1] < 0.5 * by_rows.losses[0, 0]  # it trained
    np.testing.assert_allclose(by_rows.losses, by_mask.losses, rtol=1e-5)
