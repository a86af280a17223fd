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
"""

import keras

_MARK = "_keras_seqfix_gradient_tap"


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
                variables = optimizer._trainable_variables
            return tap(
                list(grads),
                list(variables),
                _loss_scale(optimizer),
                lambda: original(grads, trainable_variables),
            )

        setattr(apply, _MARK, "apply")
        optimizer.apply = apply
    elif backend == "jax":
        original = optimizer.stateless_apply

        def stateless_apply(optimizer_variables, grads, trainable_variables):
            return tap(
                list(grads),
                list(optimizer._trainable_variables),
                _loss_scale(optimizer),
                lambda: original(optimizer_variables, grads, trainable_variables),
            )

        setattr(stateless_apply, _MARK, "stateless_apply")
        optimizer.stateless_apply = stateless_apply
    else:
        raise ValueError(
            "Gradient monitoring supports the 'tensorflow', 'jax' and 'torch' "
            f"backends. Received: keras.backend.backend()={backend!r}."
        )


def remove_gradient_tap(optimizer):
    """Undo `install_gradient_tap` (a no-op if no tap is installed)."""
    for name in ("apply", "stateless_apply"):
        method = optimizer.__dict__.get(name)
        if method is not None and getattr(method, _MARK, None) == name:
            delattr(optimizer, name)


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
