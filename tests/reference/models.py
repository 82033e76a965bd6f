"""The scenarios' losses and small models, forward and backward, in NumPy.

Losses, as Keras and the scenarios define them:

    MeanSquaredError()(y, p, sample_weight=s)
        per example: e_i = mean_over_outputs((y_i - p_i)**2)
        loss = sum_i(s_i * e_i) / N       ("sum_over_batch_size": N rows, not the sum of s)
    tf.reduce_mean(tf.square(y - p))      (question 5's loop: the same with s = 1)

Models:

    Dense:  h = x @ kernel + bias;   ReLU: relu(h) = max(h, 0)
    backward (upstream gradient G = dL/d output):
        dL/dh      = G * (h > 0)            (ReLU; TensorFlow's gradient at exactly 0 is 0)
        dL/dkernel = x^T @ dL/dh,  dL/dbias = sum over rows of dL/dh,  dL/dx = dL/dh @ kernel^T

Every function also accepts a leading configuration axis on the weights
([C, fan_in, fan_out] kernels, [C, fan_out] biases) and then works on C
models at once (x is [N, features] shared by all, or [C, N, features]).
The arithmetic is done in the arrays' dtype (float32 like the engine).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_squared_error(y: np.ndarray, predictions: np.ndarray,
                       sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Keras's MeanSquaredError over the rows (axis -2), and its gradient w.r.t. the predictions.

    y, predictions: [..., N, outputs]; sample_weight: [N] or None (ones).
    Returns (loss [...], dloss/dpredictions [..., N, outputs]).
    """
    rows, outputs = predictions.shape[-2], predictions.shape[-1]
    t = predictions.dtype.type
    residual = y - predictions
    weight = np.ones(rows, predictions.dtype) if sample_weight is None else np.asarray(sample_weight, t)
    per_example = np.mean(np.square(residual), axis=-1)
    loss = np.sum(per_example * weight, axis=-1) / t(rows)
    gradient = t(-2.0) * residual * (weight[:, None] / t(rows * outputs))
    return loss, gradient


class MLP:
    """Dense layers, ReLU after each but the last (`Sequential([Dense(k, "relu"), ..., Dense(1)])`).

    weights: [kernel_1, bias_1, kernel_2, bias_2, ...] in `model.trainable_variables`
    order, optionally with a leading configuration axis.
    """

    def __init__(self, weights: Sequence[np.ndarray]) -> None:
        self.weights = list(weights)
        self.layers = len(self.weights) // 2

    def _layer(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        kernel, bias = self.weights[2 * i], self.weights[2 * i + 1]
        return kernel, bias[..., None, :]  # the bias broadcasts over the rows

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """(output, inputs of each layer, pre-activations of each layer)."""
        inputs, pre = [], []
        h = x
        for i in range(self.layers):
            kernel, bias = self._layer(i)
            inputs.append(h)
            z = h @ kernel + bias
            pre.append(z)
            h = np.maximum(z, 0) if i < self.layers - 1 else z
        return h, inputs, pre

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[0]

    def backward(self, cache: tuple[np.ndarray, list[np.ndarray], list[np.ndarray]],
                 d_output: np.ndarray) -> list[np.ndarray]:
        """dL/dweights (in the weights' order) from `forward`'s cache and dL/doutput."""
        _, inputs, pre = cache
        grads: list[np.ndarray] = [np.empty(0)] * len(self.weights)
        delta = d_output
        for i in reversed(range(self.layers)):
            if i < self.layers - 1:
                delta = delta * (pre[i] > 0)
            grads[2 * i] = np.swapaxes(inputs[i], -1, -2) @ delta
            grads[2 * i + 1] = np.sum(delta, axis=-2)
            if i:
                delta = delta @ np.swapaxes(self._layer(i)[0], -1, -2)
        return grads

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray,
                           sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Keras MSE of the model on (x, y) and its gradient w.r.t. every weight."""
        cache = self.forward(x)
        loss, d_output = mean_squared_error(y, cache[0], sample_weight)
        return loss, self.backward(cache, d_output)

    def dead_units(self, x: np.ndarray) -> np.ndarray:
        """[..., hidden layers]: units whose ReLU output is 0 for every row of x."""
        _, _, pre = self.forward(x)
        return np.stack([np.sum(~np.any(z > 0, axis=-2), axis=-1) for z in pre[:-1]], axis=-1)


# ------------------------------------------------------------- question 3: y = x . w


def linear_loss_and_gradient(x: np.ndarray, y: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean squared error of y = x @ kernel (`Dense(1, use_bias=False)`) and dL/dkernel.

    x: [..., N, F], y: [..., N, 1], kernel: [..., F, 1]; the leading axes broadcast
    (e.g. kernels [C, S, F, 1] for C learning rates on S seeds' rows [S, N, F]).
    loss [...] = mean_i (y_i - x_i . w)^2;   dL/dw = -2/N x^T (y - x w).
    """
    residual = y - x @ kernel  # [..., N, 1]
    t = kernel.dtype.type
    loss = np.mean(np.square(residual)[..., 0], axis=-1)
    gradient = (np.swapaxes(x, -1, -2) @ residual) * t(-2.0 / x.shape[-2])
    return loss, gradient


# ------------------------------------------------------------- question 4: valley and landscape


def valley_loss_and_gradient(w: np.ndarray, curvatures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(w) = 0.5 * sum_k curvature_k * w_k**2;  grad = curvature * w.  w: [..., 2]."""
    t = w.dtype.type
    return t(0.5) * np.sum(curvatures * np.square(w), axis=-1), curvatures * w


def landscape_loss_and_gradient(w: np.ndarray, wall_at: float,
                                wells: Sequence[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """f(w) = 0.5 * min(w - wall_at, 0)**2 - sum_i depth_i * exp(-(w - c_i)**2 / (2 s_i**2)).

    f'(w) = min(w - wall_at, 0) + sum_i depth_i * (w - c_i) / s_i**2 * exp(-(w - c_i)**2 / (2 s_i**2)).
    w: [..., 1] (one weight per configuration).
    """
    t = w.dtype.type
    shifted = np.minimum(w - t(wall_at), t(0))
    loss = t(0.5) * np.square(shifted)
    gradient = shifted.copy()
    for centre, depth, width in wells:
        d = w - t(centre)
        bump = t(depth) * np.exp(-np.square(d) / t(2 * width**2))
        loss = loss - bump
        gradient = gradient + bump * d / t(width**2)
    return np.sum(loss, axis=-1), gradient
