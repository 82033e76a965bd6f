"""One compiled training loop that every scenario reuses.

A `CompiledTrainer` owns one set of trainable variables (usually a Keras
model's), one real `tf.keras.optimizers` instance and one `tf.function`.
Every run resets the weights and the optimizer's slots, writes the
hyperparameters into variables and trains inside the compiled function, so

* a new slider value never retraces (values are tensors, not constants);
* several configurations (a learning-rate sweep, several seeds) run in a
  single compiled call, one after the other, on the same graph;
* the numbers are exactly what the optimizer computes: nothing about the
  update rule is re-implemented here.

Each step records the full-data loss *before* the update (what a student's
`print(loss)` shows), then applies the update on the step's sample weights
(all ones for full-batch training, a mini-batch mask otherwise). A run
stops at its first non-finite loss; the rest of its curve is NaN.

The variables and the optimizer are shared state, so runs are serialised
with a lock: two sessions never interleave their resets and steps.

Each loop is compiled once per trainer and per input signature, on purpose
(`SignatureFunctions`): a trainer whose page run and sweep pass different
numbers of configurations has one function for each, and neither can ever
retrace.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from scenarios._tf import tensorflow, use_xla

# numpy's OpenBLAS starts a thread per core even for a 16x16 solve, and its
# threads spin-wait after each call. Beside TensorFlow's own threads on a
# 2-core host that made one question-3 run 2.5x slower (20 runs: 2.49 s with
# OpenBLAS's default threads, 0.98 s with one; TensorFlow's time halved too).
# The engine's numpy arrays are small: one BLAS thread, for the whole process.
# Here, because every scenario's engine imports this module.
threadpool_limits(limits=1, user_api="blas")

# A hard cap enforced here, not just in the sliders: a forged request
# can ask for any number of steps, but the work per run stays bounded.
MAX_BATCH = 512


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """A kernel drawn like Keras' default GlorotUniform, from a seeded NumPy generator.

    U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)); float64, the
    caller casts. Scenarios draw their initial weights with NumPy so a seed
    gives the same weights in the engine and in the shown code.
    """
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out))


@dataclass(frozen=True)
class BatchRun:
    """What one compiled call returns, as plain NumPy (picklable, comparable).

    losses:  [configs, steps + 1] loss before each update, then after the
             last one; NaN after a run stopped on a non-finite loss.
    traces:  [configs, steps + 1, k] the trainer's per-step trace values.
    summary: [configs, m] the trainer's end-of-run summary values.
    """

    losses: np.ndarray
    traces: np.ndarray
    summary: np.ndarray

    @classmethod
    def from_loop(cls, losses: Any, traces: Any, steps: int, summary: Any = None) -> BatchRun:
        """A compiled loop's [configs, max_steps + 1, ...] outputs, cut to the run's steps."""
        losses, traces = losses.numpy(), traces.numpy()
        return cls(
            losses=losses[:, : steps + 1].astype(np.float64),
            traces=traces[:, : steps + 1].astype(np.float64),
            summary=np.zeros((len(losses), 0)) if summary is None else summary.numpy().astype(np.float64),
        )

    def first_nonfinite_step(self, config: int = 0) -> int | None:
        """Index of the first step whose loss was NaN or ±Inf, if any.

        A run stops there, so everything after it is NaN padding.
        """
        bad = np.flatnonzero(~np.isfinite(self.losses[config]))
        return int(bad[0]) if bad.size else None


class SignatureFunctions:
    """One `tf.function` per input signature of one loop body, made on purpose and kept.

    Calling it compiles `body` for the arguments' shapes and dtypes the first
    time they are seen (a `tf.function` with that `input_signature`, so it
    traces exactly once and can never retrace), and reuses that function
    afterwards. Values are tensors, so a new slider value is a new call of
    the same function. What varies a signature is fixed by a scenario's
    code (how many configurations a call trains, the data's size), never by
    a request: a trainer has one or two.

    Each function is keyed by its own `functools.partial` of the body.
    TensorFlow's frequent-retracing detector counts traces per Python code
    object (`Function._get_key_for_call_stats`: a bound method is keyed by
    its class's function's `__code__`), so every trainer's one-off trace of
    `CompiledTrainer._run_batch` used to land in one shared count, and the
    fifth trainer compiled by the warm-up printed "5 out of the last 6 calls
    to <bound method CompiledTrainer._run_batch ...> triggered tf.function
    retracing" although no function had retraced. A partial has no code
    object of its own, so the detector keys it by itself: each function's
    count is its own single trace, and a real retrace would still show.
    """

    def __init__(self, body: Callable[..., Any], **options: Any) -> None:
        self._body = body
        self._options = options
        self._functions: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()  # not the trainer's: a group calls this while holding those

    def __call__(self, *args: Any) -> Any:
        tf = tensorflow()
        flat = tf.nest.flatten(args)
        key = tuple((tuple(t.shape), t.dtype) for t in flat)
        function = self._functions.get(key)
        if function is None:
            with self._lock:
                function = self._functions.get(key)
                if function is None:
                    signature = tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), args)
                    function = tf.function(functools.partial(self._body), input_signature=signature,
                                           **self._options)
                    self._functions[key] = function
        return function(*args)

    def trace_count(self) -> int:
        """Traces over every signature: one per signature seen, unless something retraced."""
        return sum(int(f.experimental_get_tracing_count()) for f in list(self._functions.values()))


class CompiledTrainer:
    """Reusable compiled training loop over fixed variables and optimizer.

    Args:
        variables: the trainable variables (e.g. `model.trainable_variables`).
        optimizer: a real, unbuilt `tf.keras.optimizers.Optimizer`.
        loss_fn: `(x, y, sample_weight) -> scalar` using the variables.
        max_steps: hard cap on steps per run (sizes the output buffers).
        hyperparameters: extra variables set per configuration (besides the
            learning rate), e.g. a momentum variable; their values come in
            the columns of `hyperparameter_values` after the learning rate.
        trace_fn: `(x, y) -> [k]` recorded at every step (e.g. the weights).
        summary_fn: `(x, y) -> [m]` recorded once at the end of each run.
        jit_compile: compile the loop with XLA (default: `use_xla()`, which
            says no on a small-memory host).
    """

    def __init__(
        self,
        *,
        variables: Sequence[Any],
        optimizer: Any,
        loss_fn: Callable[[Any, Any, Any], Any],
        max_steps: int,
        hyperparameters: Sequence[Any] = (),
        trace_fn: Callable[[Any, Any], Any] | None = None,
        summary_fn: Callable[[Any, Any], Any] | None = None,
        jit_compile: bool | None = None,
    ) -> None:
        tf = tensorflow()
        self.variables = list(variables)
        self.optimizer = optimizer
        self.max_steps = int(max_steps)
        self._hyperparameters = list(hyperparameters)
        self._loss_fn = loss_fn
        self._trace_fn = trace_fn or (lambda x, y: tf.zeros([0]))
        self._summary_fn = summary_fn or (lambda x, y: tf.zeros([0]))
        self._lock = threading.Lock()
        self._ones: dict[int, Any] = {}
        optimizer.build(self.variables)
        learning_rate_variable = optimizer._learning_rate
        # Every optimizer variable but the learning rate is state that a
        # fresh optimizer starts from its value right after build(): zero for
        # iterations, moments and velocity, but `initial_accumulator_value`
        # (0.1) for Adagrad's accumulators. Snapshot those values.
        self._optimizer_state = [
            v for v in optimizer.variables if v is not learning_rate_variable
        ]
        self._optimizer_initial = [tf.constant(v.numpy()) for v in self._optimizer_state]
        if jit_compile is None:
            jit_compile = use_xla()
        # autograph=False: the loops are explicit tf.while_loops already.
        self._compiled = SignatureFunctions(self._run_batch, jit_compile=jit_compile, autograph=False)

    # The compiled body. Python here runs once per trace, not per step.
    def _run_batch(self, initial_values, hyperparameter_values, steps, x, y, sample_weights):
        tf = tensorflow()
        configs = tf.shape(hyperparameter_values)[0]
        # sample_weights is either [steps, examples] weights or [steps, batch] row indices.
        by_index = sample_weights.dtype.is_integer
        all_weights = tf.ones(tf.shape(x)[:1], tf.float32)
        batch_ones = tf.ones(tf.shape(sample_weights)[1:], tf.float32)
        trace_width = self._trace_fn(x, y).shape[0]
        nan = tf.constant(float("nan"), tf.float32)

        def one_config(b):
            for variable, values in zip(self.variables, initial_values, strict=True):
                variable.assign(tf.cast(values[b], variable.dtype))
            for variable, initial in zip(self._optimizer_state, self._optimizer_initial, strict=True):
                variable.assign(initial)
            self.optimizer.learning_rate.assign(hyperparameter_values[b, 0])
            for column, variable in enumerate(self._hyperparameters, start=1):
                variable.assign(tf.cast(hyperparameter_values[b, column], variable.dtype))

            def record(i, losses, traces):
                loss = tf.cast(self._loss_fn(x, y, all_weights), tf.float32)
                losses = tf.tensor_scatter_nd_update(losses, [[i]], [loss])
                if trace_width:
                    trace = tf.reshape(tf.cast(self._trace_fn(x, y), tf.float32), [1, -1])
                    traces = tf.tensor_scatter_nd_update(traces, [[i]], trace)
                return loss, losses, traces

            def keep_going(i, finite, losses, traces):
                return tf.logical_and(i < steps, finite)

            def step(i, finite, losses, traces):
                loss, losses, traces = record(i, losses, traces)
                finite = tf.math.is_finite(loss)
                with tf.GradientTape() as tape:
                    if by_index:  # the step's rows only: 32 rows, not a mask over all of them
                        rows = sample_weights[i]
                        batch_loss = self._loss_fn(tf.gather(x, rows), tf.gather(y, rows), batch_ones)
                    else:
                        batch_loss = self._loss_fn(x, y, sample_weights[i])
                gradients = tape.gradient(batch_loss, self.variables)
                self.optimizer.apply_gradients(zip(gradients, self.variables, strict=True))
                return i + 1, finite, losses, traces

            losses = tf.fill([self.max_steps + 1], nan)
            traces = tf.fill([self.max_steps + 1, trace_width], nan)
            i, finite, losses, traces = tf.while_loop(
                keep_going, step, (tf.constant(0), tf.constant(True), losses, traces)
            )
            # The loss after the last update (only if the run did not stop early).
            _, final_losses, final_traces = record(i, losses, traces)
            losses = tf.where(finite, final_losses, losses)
            traces = tf.where(finite, final_traces, traces)
            summary = tf.cast(self._summary_fn(x, y), tf.float32)
            return losses, traces, summary

        def body(b, loss_rows, trace_rows, summary_rows):
            losses, traces, summary = one_config(b)
            return (
                b + 1,
                loss_rows.write(b, losses),
                trace_rows.write(b, traces),
                summary_rows.write(b, summary),
            )

        size = hyperparameter_values.shape[0]
        outputs = tf.while_loop(
            lambda b, *_: b < configs,
            body,
            (
                tf.constant(0),
                tf.TensorArray(tf.float32, size=size),
                tf.TensorArray(tf.float32, size=size),
                tf.TensorArray(tf.float32, size=size),
            ),
        )
        return outputs[1].stack(), outputs[2].stack(), outputs[3].stack()

    def run(
        self,
        initial_values: Sequence[np.ndarray],
        hyperparameter_values: np.ndarray,
        steps: int,
        x: np.ndarray,
        y: np.ndarray,
        sample_weights: np.ndarray | None = None,
    ) -> BatchRun:
        """Train each configuration from its initial values for `steps` steps.

        initial_values: one array per variable, with a leading config axis.
        hyperparameter_values: [configs, 1 + len(hyperparameters)]; column 0
            is the learning rate.
        sample_weights: [max_steps, len(x)] per-step weights (None: full batch),
            or, as integers, [max_steps, batch] the rows of each step's mini-batch
            (the loss then sees only those rows, with weights of one).
        """
        tf = tensorflow()
        steps = int(np.clip(steps, 0, self.max_steps))
        hyperparameter_values = np.asarray(hyperparameter_values, np.float32)
        if hyperparameter_values.ndim != 2 or not 1 <= len(hyperparameter_values) <= MAX_BATCH:
            raise ValueError(f"hyperparameter_values must be [1..{MAX_BATCH}, k]")
        if sample_weights is None:
            sample_weights = self._full_batch_weights(len(x))
        args = (
            tuple(tf.constant(np.asarray(v, np.float32)) for v in initial_values),
            tf.constant(hyperparameter_values),
            tf.constant(steps, tf.int32),
            tf.constant(np.asarray(x, np.float32)),
            tf.constant(np.asarray(y, np.float32)),
            sample_weights if tf.is_tensor(sample_weights) else tf.constant(
                sample_weights, tf.int32 if np.issubdtype(np.asarray(sample_weights).dtype, np.integer)
                else tf.float32),
        )
        with self._lock:
            losses, traces, summary = self._compiled(*args)
            return BatchRun.from_loop(losses, traces, steps, summary)

    def _full_batch_weights(self, examples: int) -> Any:
        """All-ones weights for every step, made once per data size (not per call)."""
        tf = tensorflow()
        if examples not in self._ones:
            self._ones[examples] = tf.ones((self.max_steps, examples), tf.float32)
        return self._ones[examples]

    def trace_count(self) -> int:
        """How many times the loop has been traced (a retrace is a bug)."""
        return self._compiled.trace_count()


def _loop_arguments(initial_value: Any, learning_rates: Any, steps: int, x: Any, y: Any,
                    batch_rows: Any) -> tuple[Any, ...]:
    """A config-axis loop's arguments as tensors (ones that already are pass through)."""
    tf = tensorflow()

    def tensor(value: Any, dtype: Any) -> Any:
        return value if tf.is_tensor(value) else tf.constant(np.asarray(value), dtype)

    return (tensor(initial_value, tf.float32), tensor(learning_rates, tf.float32), tf.constant(steps, tf.int32),
            tensor(x, tf.float32), tensor(y, tf.float32), tensor(batch_rows, tf.int32))


class ConfigAxisTrainer:
    """Every configuration at once, as a leading axis of one variable.

    For an optimizer whose update is elementwise (SGD with or without
    momentum, Adagrad, RMSprop, Adam; no clipping, no weight decay),
    training C configurations side by side in one [C, ...] variable is the
    same arithmetic as C separate runs: the gradient of the summed
    per-configuration losses, sliced at c, is configuration c's gradient,
    and each slice of the optimizer's slots only ever sees its own. The
    per-configuration learning rate reaches the real Keras update through a
    callable learning rate that returns a [C, 1, ...] variable (Keras reads
    a callable at every step, and its update broadcasts it). The tests
    compare every optimizer with separate Keras optimizers run eagerly.

    Where `CompiledTrainer` loops over configurations one after another, a
    step here moves all of them: 11 learning rates cost little more than 1.

    Args:
        variable: the trainable variable, shape [configs, ...].
        make_optimizer: `learning_rate -> unbuilt Keras optimizer`, called
            once with the callable learning rate.
        loss_fn: `(x, y) -> [configs]` losses of the variable's slices.
        max_steps: hard cap on steps per run (sizes the output buffers).
        trace_fn: `() -> [configs, k]` recorded at every step (e.g. the weights).
        full_loss_fn: `(x, y) -> (() -> [configs])`, built once per call: the
            full-data loss recorded before every step (default: `loss_fn(x, y)`).
            Recording it is most of a step's work; a scenario that knows a
            cheaper exact form of it (e.g. from x'x for a linear model) passes it.
    """

    def __init__(
        self,
        *,
        variable: Any,
        make_optimizer: Callable[[Callable[[], Any]], Any],
        loss_fn: Callable[[Any, Any], Any],
        max_steps: int,
        trace_fn: Callable[[], Any] | None = None,
        full_loss_fn: Callable[[Any, Any], Callable[[], Any]] | None = None,
        jit_compile: bool | None = None,
    ) -> None:
        tf = tensorflow()
        self.variable = variable
        self.configs = int(variable.shape[0])
        self.max_steps = int(max_steps)
        self._loss_fn = loss_fn
        self._full_loss_fn = full_loss_fn or (lambda x, y: lambda: loss_fn(x, y))
        self._trace_fn = trace_fn or (lambda: tf.zeros([self.configs, 0]))
        self._lock = threading.Lock()
        rank = len(variable.shape)
        self._learning_rates = tf.Variable(tf.zeros([self.configs] + [1] * (rank - 1)), trainable=False)
        self.optimizer = make_optimizer(lambda: self._learning_rates)
        self.optimizer.build([variable])
        # Fresh values of every optimizer variable (see CompiledTrainer).
        self._optimizer_state = list(self.optimizer.variables)
        self._optimizer_initial = [tf.constant(v.numpy()) for v in self._optimizer_state]
        if jit_compile is None:
            jit_compile = use_xla()
        self._compiled = SignatureFunctions(self._run, jit_compile=jit_compile, autograph=False)

    def _run(self, initial_value, learning_rates, steps, x, y, batch_rows):
        tf = tensorflow()
        self.variable.assign(initial_value)
        for variable, initial in zip(self._optimizer_state, self._optimizer_initial, strict=True):
            variable.assign(initial)
        self._learning_rates.assign(tf.reshape(learning_rates, self._learning_rates.shape))
        nan = tf.constant(float("nan"), tf.float32)
        trace_width = self._trace_fn().shape[1]
        full_data_loss = self._full_loss_fn(x, y)

        def record(i, alive, losses, traces):
            """Full-data losses and traces before step i, as CompiledTrainer records them.

            A configuration keeps its first non-finite loss, then reads NaN (its
            run stopped there; the slice trains on, apart from the others).
            """
            loss = tf.cast(full_data_loss(), tf.float32)
            losses = tf.tensor_scatter_nd_update(losses, [[i]], [tf.where(alive, loss, nan)])
            if trace_width:
                trace = tf.where(alive[:, None], tf.cast(self._trace_fn(), tf.float32), nan)
                traces = tf.tensor_scatter_nd_update(traces, [[i]], [trace])
            return tf.logical_and(alive, tf.math.is_finite(loss)), losses, traces

        def step(i, alive, losses, traces):
            alive, losses, traces = record(i, alive, losses, traces)
            rows = batch_rows[i]
            with tf.GradientTape() as tape:
                total = tf.reduce_sum(self._loss_fn(tf.gather(x, rows), tf.gather(y, rows)))
            gradient = tape.gradient(total, self.variable)
            self.optimizer.apply_gradients([(gradient, self.variable)])
            return i + 1, alive, losses, traces

        losses = tf.fill([self.max_steps + 1, self.configs], nan)
        traces = tf.fill([self.max_steps + 1, self.configs, trace_width], nan)
        alive = tf.ones([self.configs], tf.bool)
        i, alive, losses, traces = tf.while_loop(
            lambda i, alive, *_: tf.logical_and(i < steps, tf.reduce_any(alive)),
            step, (tf.constant(0), alive, losses, traces),
        )
        _, losses, traces = record(i, alive, losses, traces)
        return tf.transpose(losses), tf.transpose(traces, [1, 0, 2])

    def run(self, initial_value: np.ndarray, learning_rates: np.ndarray, steps: int, x: np.ndarray,
            y: np.ndarray, batch_rows: Any) -> BatchRun:
        """Train every configuration from `initial_value` ([configs, ...]) for `steps` steps.

        learning_rates: [configs]; batch_rows: [max_steps, batch] integer rows of each step.
        """
        steps = int(np.clip(steps, 0, self.max_steps))
        learning_rates = np.asarray(learning_rates, np.float32)
        if learning_rates.shape != (self.configs,):
            raise ValueError(f"need exactly {self.configs} learning rates")
        args = _loop_arguments(initial_value, learning_rates, steps, x, y, batch_rows)
        with self._lock:
            return BatchRun.from_loop(*self._compiled(*args), steps)

    def trace_count(self) -> int:
        return self._compiled.trace_count()


class ConfigAxisGroup:
    """Several `ConfigAxisTrainer`s (e.g. one per optimizer) trained in one compiled call.

    Each keeps its own variable, optimizer and loop; the group only compiles
    their loops into one function. That saves a call's dispatch and argument
    conversion per trainer (~1.5 ms each here) and, without XLA, lets
    TensorFlow run the independent loops on both cores.
    """

    def __init__(self, trainers: Sequence[ConfigAxisTrainer]) -> None:
        self.trainers = list(trainers)
        # Not compiled as one XLA program: each trainer's own compiled loop is
        # called from this graph, so the loops stay as fast as alone (one XLA
        # program of all five was 1.8x slower a step, measured) and
        # TensorFlow runs them side by side on the two cores.
        self._compiled = SignatureFunctions(self._run_all, autograph=False)

    def _run_all(self, initial_value, learning_rates, steps, x, y, batch_rows):
        return [trainer._compiled(initial_value, learning_rates[k], steps, x, y, batch_rows)
                for k, trainer in enumerate(self.trainers)]

    def run(self, initial_value: np.ndarray, learning_rates: np.ndarray, steps: int, x: Any, y: Any,
            batch_rows: Any) -> list[BatchRun]:
        """Every trainer from the same `initial_value`; learning_rates: [trainers, configs]."""
        steps = int(np.clip(steps, 0, min(t.max_steps for t in self.trainers)))
        learning_rates = np.asarray(learning_rates, np.float32)
        if learning_rates.shape != (len(self.trainers), self.trainers[0].configs):
            raise ValueError(f"need [{len(self.trainers)}, {self.trainers[0].configs}] learning rates")
        args = _loop_arguments(initial_value, learning_rates, steps, x, y, batch_rows)
        with contextlib.ExitStack() as held:  # the trainers' variables are shared state
            for trainer in self.trainers:
                held.enter_context(trainer._lock)
            return [BatchRun.from_loop(losses, traces, steps) for losses, traces in self._compiled(*args)]

    def trace_count(self) -> int:
        return self._compiled.trace_count()
