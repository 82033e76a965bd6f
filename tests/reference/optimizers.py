"""Keras 3's optimizer update rules, written again in NumPy.

Each optimizer updates a list of NumPy arrays in place from a list of
gradients, one step per `apply` call, in the arrays' dtype (float32 for
everything the engine trains). The rules are Keras 3's, as its docs and
`keras/src/optimizers/*.py` state them, including where epsilon goes:

    SGD         velocity = momentum * velocity - learning_rate * g
                w = w + velocity                     (momentum 0: w = w - learning_rate * g)
    RMSprop     v = rho * v + (1 - rho) * g**2
                w = w - learning_rate * g / sqrt(v + epsilon)           # epsilon INSIDE the root
    Adam        t = t + 1
                m = m + (g - m) * (1 - beta_1)
                v = v + (g**2 - v) * (1 - beta_2)
                alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
                w = w - alpha * m / (sqrt(v) + epsilon)                 # epsilon OUTSIDE the root
    Adagrad     a = a + g**2                          (a starts at initial_accumulator_value = 0.1)
    (a = accumulator) w = w - learning_rate * g / sqrt(a + epsilon)     # epsilon INSIDE the root

Defaults are Keras's: epsilon 1e-7, rho 0.9, beta_1 0.9, beta_2 0.999.

`clipnorm=c` (any optimizer) first rescales each variable's gradient on its
own: g = g * c / max(||g||_2, c).

Configurations side by side: with `config_axis=True` axis 0 of every
variable is a configuration (a learning rate, a seed...), and
`learning_rate` may be an array with one value per configuration. Every
rule above is elementwise, so this is C independent optimizers; only
`clipnorm`'s norm is taken per configuration (over the other axes).

`epsilon_inside` (RMSprop, Adagrad), `epsilon_outside` and `bias_correction`
(Adam) exist only so a test can change a rule and show that the comparison
with the engine notices; the defaults are Keras's rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Arrays = Sequence[np.ndarray]


class Optimizer:
    """Shared machinery: the per-configuration learning rate and `clipnorm`."""

    def __init__(self, learning_rate: float | np.ndarray, *, clipnorm: float | None = None,
                 config_axis: bool = False) -> None:
        self.learning_rate = np.asarray(learning_rate, np.float32)
        self.clipnorm = clipnorm
        self.config_axis = config_axis
        self.iterations = 0
        self._slots: dict[str, list[np.ndarray]] = {}

    # -- helpers
    def _lr(self, variable: np.ndarray) -> np.ndarray:
        """The learning rate shaped to broadcast against this variable, in its dtype."""
        lr = self.learning_rate.astype(variable.dtype)
        if self.config_axis and lr.ndim == 1:
            lr = lr.reshape((-1,) + (1,) * (variable.ndim - 1))
        return lr

    def _slot(self, name: str, variables: Arrays, initial: float = 0.0) -> list[np.ndarray]:
        if name not in self._slots:
            self._slots[name] = [np.full_like(v, initial) for v in variables]
        return self._slots[name]

    def _clip(self, gradient: np.ndarray) -> np.ndarray:
        """Keras's `_clip_by_norm`: g * c / max(||g||, c), the norm of this variable's gradient."""
        if not self.clipnorm:
            return gradient
        axes = tuple(range(1, gradient.ndim)) if self.config_axis else None
        c = gradient.dtype.type(self.clipnorm)
        norm = np.sqrt(np.sum(np.square(gradient), axis=axes, keepdims=True))
        return gradient * c / np.maximum(norm, c)

    def apply(self, variables: Arrays, gradients: Arrays) -> None:
        """One step: update every variable in place from its gradient."""
        gradients = [self._clip(np.asarray(g, v.dtype)) for v, g in zip(variables, gradients, strict=True)]
        self.iterations += 1
        self._update(list(variables), gradients)

    def _update(self, variables: list[np.ndarray], gradients: list[np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """velocity = momentum * velocity - learning_rate * g;  w = w + velocity.

    With momentum 0 Keras takes the plain branch, w = w - learning_rate * g
    (the same numbers: the velocity would be exactly -learning_rate * g).
    `momentum` may be an array with one value per configuration.
    """

    def __init__(self, learning_rate: float | np.ndarray = 0.01, momentum: float | np.ndarray = 0.0,
                 **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum = np.asarray(momentum, np.float32)

    def _update(self, variables, gradients):
        if not np.any(self.momentum):
            for w, g in zip(variables, gradients, strict=True):
                w -= g * self._lr(w)
            return
        velocities = self._slot("velocity", variables)
        for w, g, velocity in zip(variables, gradients, velocities, strict=True):
            momentum = self.momentum.astype(w.dtype)
            if self.config_axis and momentum.ndim == 1:
                momentum = momentum.reshape((-1,) + (1,) * (w.ndim - 1))
            velocity[...] = velocity * momentum - g * self._lr(w)
            w += velocity


class RMSprop(Optimizer):
    """v = rho * v + (1 - rho) * g**2;  w = w - learning_rate * g / sqrt(v + epsilon)."""

    def __init__(self, learning_rate: float | np.ndarray = 0.001, rho: float = 0.9, epsilon: float = 1e-7,
                 epsilon_inside: bool = True, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon, self.epsilon_inside = rho, epsilon, epsilon_inside

    def _update(self, variables, gradients):
        for w, g, v in zip(variables, gradients, self._slot("velocity", variables), strict=True):
            t = w.dtype.type
            v[...] = t(self.rho) * v + t(1 - self.rho) * np.square(g)
            root = np.sqrt(v + t(self.epsilon)) if self.epsilon_inside else np.sqrt(v) + t(self.epsilon)
            w -= self._lr(w) * g / root


class Adam(Optimizer):
    """m = m + (g - m)(1 - beta_1);  v = v + (g**2 - v)(1 - beta_2);
    alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t);
    w = w - alpha * m / (sqrt(v) + epsilon).

    The bias corrections are folded into alpha, so epsilon is added to the
    root of the *uncorrected* v (Kingma & Ba's "epsilon hat" form).
    """

    def __init__(self, learning_rate: float | np.ndarray = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, epsilon_outside: bool = True, bias_correction: bool = True,
                 **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.epsilon_outside, self.bias_correction = epsilon_outside, bias_correction

    def _update(self, variables, gradients):
        ms, vs = self._slot("m", variables), self._slot("v", variables)
        for w, g, m, v in zip(variables, gradients, ms, vs, strict=True):
            t = w.dtype.type
            step = t(self.iterations)
            alpha = self._lr(w)
            if self.bias_correction:
                alpha = alpha * np.sqrt(t(1) - t(self.beta_2) ** step) / (t(1) - t(self.beta_1) ** step)
            m += (g - m) * t(1 - self.beta_1)
            v += (np.square(g) - v) * t(1 - self.beta_2)
            root = np.sqrt(v) + t(self.epsilon) if self.epsilon_outside else np.sqrt(v + t(self.epsilon))
            w -= m * alpha / root


class Adagrad(Optimizer):
    """a = a + g**2 (a starts at 0.1);  w = w - learning_rate * g / sqrt(a + epsilon)."""

    def __init__(self, learning_rate: float | np.ndarray = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, epsilon_inside: bool = True, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        self.epsilon_inside = epsilon_inside

    def _update(self, variables, gradients):
        accumulators = self._slot("accumulator", variables, self.initial_accumulator_value)
        for w, g, a in zip(variables, gradients, accumulators, strict=True):
            t = w.dtype.type
            a += np.square(g)
            root = np.sqrt(a + t(self.epsilon)) if self.epsilon_inside else np.sqrt(a) + t(self.epsilon)
            w -= self._lr(w) * g / root
