"""The shared compiled loop: a reset optimizer is a fresh Keras optimizer."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios._tf import tensorflow
from scenarios.training import CompiledTrainer, ConfigAxisGroup, ConfigAxisTrainer


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


def _weighted_regression(examples: int, seed: int):
    """x [examples, 3], y = x·(1, -2, 0.5), a weight variable, and its sample-weighted MSE."""
    tf = tensorflow()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((examples, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32)
    w = tf.Variable(np.zeros(3, np.float32))

    def loss_fn(x, y, sample_weight):
        return tf.reduce_sum(sample_weight * tf.square(tf.linalg.matvec(x, w) - y)) / tf.reduce_sum(
            sample_weight)

    return rng, x, y, w, loss_fn


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "RMSprop", "SGD", "Adadelta"])
def test_reset_restores_every_optimizer_slot_to_its_fresh_value(name):
    """Adagrad's accumulators start at 0.1, not 0: a reset must say so."""
    tf = tensorflow()
    rng, x, y, w, loss_fn = _weighted_regression(examples=16, seed=0)
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
    rng, x, y, w, loss_fn = _weighted_regression(examples=64, seed=1)
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


def _config_axis_trainer(make, rates, x, y, steps):
    """Linear least squares with len(rates) kernels side by side, full batch every step."""
    tf = tensorflow()
    kernels = tf.Variable(tf.zeros([len(rates), x.shape[1]]))

    def loss_fn(x, y):
        return tf.reduce_mean(tf.square(tf.einsum("bf,cf->cb", x, kernels) - y[None]), axis=1)

    trainer = ConfigAxisTrainer(variable=kernels, make_optimizer=make, loss_fn=loss_fn, max_steps=steps,
                                trace_fn=lambda: kernels, jit_compile=False)
    rows = np.tile(np.arange(len(x), dtype=np.int32), (steps, 1))
    return trainer, rows


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "RMSprop", "SGD"])
def test_configurations_side_by_side_train_like_separate_keras_optimizers(name):
    tf = tensorflow()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32)
    w0 = rng.standard_normal(3).astype(np.float32)
    rates = np.array([0.3, 0.03, 0.003], np.float32)
    make = getattr(tf.keras.optimizers, name)
    trainer, rows = _config_axis_trainer(lambda lr: make(learning_rate=lr), rates, x, y, 30)
    result = trainer.run(np.tile(w0, (3, 1)), rates, 30, x, y, rows)
    for c, rate in enumerate(rates):
        expected = _eager_losses(lambda rate=rate: make(learning_rate=float(rate)), w0, x, y, 30)
        # Float32 rounding of a different summation order: relative to the loss's scale
        # once it nears zero (RMSprop reaches 1e-7 of its start here).
        np.testing.assert_allclose(result.losses[c, :30], expected, rtol=1e-5, atol=1e-7 * expected[0])
    again = trainer.run(np.tile(w0, (3, 1)), rates, 30, x, y, rows)  # slots reset in between
    np.testing.assert_array_equal(again.losses, result.losses)


def test_a_configuration_that_blows_up_stops_alone():
    tf = tensorflow()
    rng = np.random.default_rng(3)
    x = (100 * rng.standard_normal((16, 3))).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32)
    rates = np.array([1.0, 1e-6], np.float32)  # SGD at 1.0 on data ~100 overflows
    trainer, rows = _config_axis_trainer(lambda lr: tensorflow().keras.optimizers.SGD(learning_rate=lr),
                                         rates, x, y, 40)
    both = trainer.run(np.zeros((2, 3)), rates, 40, x, y, rows)
    first = both.first_nonfinite_step(0)
    assert first is not None and np.all(np.isnan(both.losses[0, first + 1:]))
    assert np.all(np.isnan(both.traces[0, first + 1:]))
    assert both.first_nonfinite_step(1) is None
    assert np.all(np.isfinite(both.losses[1]))
    alone, _ = _config_axis_trainer(lambda lr: tf.keras.optimizers.SGD(learning_rate=lr), rates[1:], x, y, 40)
    # Not bit for bit: with one configuration instead of two, the einsum's
    # matrix product may run another kernel (measured here: a last-bit
    # difference from step 29 on, 3e-7 relative). The NaN beside it leaks nothing.
    np.testing.assert_allclose(alone.run(np.zeros((1, 3)), rates[1:], 40, x, y, rows).losses[0],
                               both.losses[1], rtol=1e-6)


def test_a_group_of_trainers_gives_each_trainer_its_own_run():
    tf = tensorflow()
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32)
    w0 = np.tile(rng.standard_normal(3).astype(np.float32), (2, 1))
    rates = np.array([[0.1, 0.01], [0.3, 0.03]], np.float32)
    adam, rows = _config_axis_trainer(lambda lr: tf.keras.optimizers.Adam(learning_rate=lr), rates[0], x, y, 25)
    sgd, _ = _config_axis_trainer(lambda lr: tf.keras.optimizers.SGD(learning_rate=lr, momentum=0.9),
                                  rates[1], x, y, 25)
    together = ConfigAxisGroup([adam, sgd]).run(w0, rates, 25, x, y, rows)
    for trainer, learning_rates, result in zip((adam, sgd), rates, together, strict=True):
        alone = trainer.run(w0, learning_rates, 25, x, y, rows)
        np.testing.assert_array_equal(result.losses, alone.losses)
        np.testing.assert_array_equal(result.traces, alone.traces)
    assert not np.allclose(together[0].losses, together[1].losses)
