"""An independent NumPy reference for everything the engine trains.

The engine (`scenarios/`) runs the real `tf.keras.optimizers` in compiled
TensorFlow loops. This package writes the same mathematics again, from
Keras 3's documented update rules and loss definitions, in plain NumPy
(float32 wherever the engine is float32), so that `tests/test_reference.py`
can check the app's headline figures against a second implementation that
shares none of its code paths:

- `optimizers`: SGD (with Keras' momentum formulation), RMSprop, Adam,
  Adagrad, and per-variable `clipnorm`;
- `models`: losses (mean squared error as Keras defines it), Dense/ReLU
  forward and backward passes, the quadratic valley and the 1-D landscape;
- `experiments`: each scenario's training procedure (what is recorded at
  which step, when a run stops), on the engine's own data and initial
  weights, which are inputs here, not update rules.

Nothing in this package imports TensorFlow or Keras (a test checks it).
"""
