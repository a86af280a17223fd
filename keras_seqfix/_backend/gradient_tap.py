"""See the gradients of the real training steps, without changing the model.

Keras callbacks never see gradients: `train_step` computes them and hands them
to the optimizer in the same compiled function. The one place every backend's
`train_step` passes them through is the optimizer:

- TensorFlow and PyTorch call `optimizer.apply(grads, trainable_variables)`
  (TensorFlow through `apply_gradients`);
- JAX calls `optimizer.stateless_apply(optimizer_variables, grads,
  trainable_variables)` inside `jax.jit`.

`install_gradient_tap` shadows that method on the optimizer *instance* with a
wrapper that first hands the gradients to a `tap` function and then runs the
original method; `remove_gradient_tap` deletes the instance attribute, so the
class method is back and nothing is left on the optimizer or the model (no
variable, no attribute, nothing saved). The wrapper runs inside the traced
train function, so it also works under `jit_compile=True` as long as `tap`
only uses traceable ops (on JAX: `jax.debug.callback` to reach the host).

Keras calls `on_train_end` only when `fit` returns, so after an exception or a
`KeyboardInterrupt` the tap would stay in the cached, traced train function.
`GuardedTrainFunction` stands in for `model.train_function` while a tap's `fit`
runs and hands the model back a clean train function as soon as a call is not a
step of that `fit`.

Missing public API: Keras has no hook that hands a callback the gradients of a
training step, so the tap relies on two things Keras does not document:
`train_step` looks `apply` (or `stateless_apply`) up on the optimizer instance
at trace time, and `fit` calls whatever `model.train_function` holds each step
(rebuilt by `make_train_function(force=True)`).
`tests/_backend/test_private_api.py` fails when either stops being true.

Distributed training: under `tf.distribute` strategies `apply` runs once per
replica with that replica's gradients (the optimizer sums them across replicas
inside), so the tap sums them first (`global_gradients`, one extra all-reduce per
step) and sees the gradients of the global batch. Under JAX's
`keras.distribution.DataParallel` the train step is one program over the global
batch: the gradients are already global, and `jax.debug.callback` runs once with
the full values.
"""

import contextlib

import keras

from keras_seqfix._backend import private_api
from keras_seqfix._backend.state import strategy_scope

_MARK = "_keras_seqfix_gradient_tap"
_TAP = "_keras_seqfix_tap"


def _loss_scale(optimizer):
    """The factor the gradients are scaled by when they reach `apply`."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.dynamic_scale
    return getattr(optimizer, "loss_scale_factor", None)


def install_gradient_tap(optimizer, tap):
    """Route every gradient update of `optimizer` through `tap`.

    Args:
        optimizer: a Keras optimizer (the model's `model.optimizer`).
        tap: `tap(grads, variables, loss_scale, apply)`: `grads` and `variables`
            are aligned lists (`None` grads included), `loss_scale` is the
            factor the gradients carry (or `None`), and `apply()` runs the
            original update and returns its result, which `tap` must return.
            On JAX `tap` also gets `values=`, the weights before the step
            (`apply()` returns the new ones first). It replaces any tap
            installed before; `installed_gradient_tap` returns it.

    Raises:
        ValueError: on a backend without a training loop to tap.
    """
    remove_gradient_tap(optimizer)
    backend = keras.backend.backend()
    if backend in ("tensorflow", "torch"):
        original = optimizer.apply

        def apply(grads, trainable_variables=None):
            variables = trainable_variables
            if variables is None:
                variables = private_api.optimizer_variables(optimizer)
            return tap(
                global_gradients(list(grads)),
                list(variables),
                _loss_scale(optimizer),
                lambda: original(grads, trainable_variables),
            )

        setattr(apply, _MARK, "apply")
        setattr(apply, _TAP, tap)
        optimizer.apply = apply
    elif backend == "jax":
        original = optimizer.stateless_apply

        def stateless_apply(optimizer_variables, grads, trainable_variables):
            return tap(
                list(grads),
                private_api.optimizer_variables(optimizer),
                _loss_scale(optimizer),
                lambda: original(optimizer_variables, grads, trainable_variables),
                values=list(trainable_variables),
            )

        setattr(stateless_apply, _MARK, "stateless_apply")
        setattr(stateless_apply, _TAP, tap)
        optimizer.stateless_apply = stateless_apply
    else:
        raise ValueError(
            "Gradient monitoring supports the 'tensorflow', 'jax' and 'torch' "
            f"backends. Received: keras.backend.backend()={backend!r}."
        )


def global_gradients(grads):
    """The gradients of the global batch, also inside a `tf.distribute` replica.

    In a replica context with more than one replica each replica holds the
    gradient of its share of the loss (Keras scales the loss by one over the
    number of replicas), so their sum is the gradient of the global batch: the
    same all-reduce the optimizer does before it updates. Elsewhere (one device,
    JAX, PyTorch) the gradients are returned unchanged.

    Args:
        grads: list of gradients (`None` entries allowed).

    Returns:
        A list of the same length.
    """
    if keras.backend.backend() != "tensorflow":
        return grads
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return grads
    present = [tf.convert_to_tensor(g) for g in grads if g is not None]
    if not present:
        return grads
    summed = iter(context.all_reduce(tf.distribute.ReduceOp.SUM, present))
    return [None if g is None else next(summed) for g in grads]


def state_scope(model):
    """Where to create variables that a tap updates inside the train step.

    On TensorFlow the model's distribution strategy scope (so the variables are
    mirrored on every replica, like the model's own), elsewhere nothing.
    Create them with `aggregation="only_first_replica"`: after
    `global_gradients` every replica computes the same values.
    """
    return strategy_scope(model)


def _installed(optimizer):
    for name in ("apply", "stateless_apply"):
        method = optimizer.__dict__.get(name)
        if method is not None and getattr(method, _MARK, None) == name:
            return name, method
    return None, None


def installed_gradient_tap(optimizer):
    """The `tap` installed on `optimizer`, or `None`."""
    return getattr(_installed(optimizer)[1], _TAP, None)


def remove_gradient_tap(optimizer, tap=None):
    """Undo `install_gradient_tap` (a no-op if no tap is installed).

    Args:
        optimizer: the optimizer the tap was installed on.
        tap: remove the tap only if it is this one (`==`, so a bound method
            matches). Defaults to `None`: whichever tap is installed.
    """
    name, method = _installed(optimizer)
    if method is None or (tap is not None and getattr(method, _TAP, None) != tap):
        return
    with contextlib.suppress(AttributeError):  # another replica's thread did it
        delattr(optimizer, name)


def _ends_epoch(exc):
    """Whether `exc` is how a train function reports the end of the data."""
    if isinstance(exc, StopIteration):
        return True
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return isinstance(exc, tf.errors.OutOfRangeError)
    return False


class GuardedTrainFunction:
    """Stands in for `model.train_function` while a tap records one `fit`.

    Each call runs the wrapped (traced) train function only if `is_current()`
    says the call is a step of the tap's `fit` (a Python check, no device
    sync), with `in_step` set during it, so a tap can tell at trace time whether
    it is traced for that `fit`. Otherwise, and when an exception other than
    the end of the data leaves the step (an error, a `KeyboardInterrupt`), it
    first calls `release()`, which removes the tap and gives the model a clean
    train function; an unrelated call then goes on through that one. Attribute
    reads go to the wrapped function (TensorBoard reads the traced graph).

    Args:
        model: the model whose `train_function` this replaces.
        function: the train function traced with the tap.
        is_current: callable, `True` if the call at hand is a step of the
            tap's `fit`.
        release: callable that removes the tap and calls
            `model.make_train_function(force=True)`.
    """

    def __init__(self, model, function, is_current, release):
        self._model = model
        self._function = function
        self._is_current = is_current
        self._release = release
        self.in_step = False

    def __call__(self, *args, **kwargs):
        if self._function is None or not self._is_current():
            self._let_go()
            return self._model.train_function(*args, **kwargs)
        self.in_step = True
        try:
            return self._function(*args, **kwargs)
        except BaseException as exc:
            if not _ends_epoch(exc):
                self._let_go()
            raise
        finally:
            self.in_step = False

    def _let_go(self):
        # Drop the traced function too, not only the model's reference to it:
        # JAX shares a compiled step between `jit`s of equal functions (the
        # model's `train_step`) while one of them is alive, so the clean train
        # function would run the tapped program while this guard (kept alive
        # by the call at hand, or by a traceback) still held it.
        self._function = None
        self._release()
        if self._model.train_function is self:  # `release` did not rebuild
            self._model.make_train_function(force=True)

    def __getattr__(self, name):
        function = self.__dict__.get("_function")
        if function is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(function, name)


def squared_norm(gradient):
    """Sum of squares of one gradient, as a float32 scalar tensor.

    TensorFlow hands embedding gradients over as `tf.IndexedSlices`, whose
    rows may repeat: they are summed into a dense tensor first (as the
    optimizer does), so the norm is exact.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if isinstance(gradient, tf.IndexedSlices):
            gradient = tf.convert_to_tensor(gradient)
    gradient = keras.ops.cast(gradient, "float32")
    return keras.ops.sum(keras.ops.square(gradient))
