"""Gradients of a compiled model's loss, dispatched on the Keras backend.

Keras has no public "give me the gradients" call, so this module writes the one
forward/backward pass per backend, the same way each backend's `train_step`
does it: `tf.GradientTape` on TensorFlow, `jax.value_and_grad` of
`model.compute_loss_and_updates` on JAX, `torch.autograd.grad` on PyTorch.
Backend modules are imported inside the functions, so importing this module
costs nothing on a backend that is not installed.
"""

import keras
import numpy as np

from keras_seqfix._backend.state import ModelState, restore_state, variable_to_numpy


def _check_compiled(model):
    if not getattr(model, "compiled", False):
        raise ValueError(
            "`model` should be compiled with a loss before its gradients can be "
            "computed. Received: a model that is not compiled. Call "
            "`model.compile(optimizer=..., loss=...)` first."
        )


def _tensorflow_gradients(model, x, y, sample_weight):
    import tensorflow as tf

    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
        )
    grads = tape.gradient(loss, variables)
    return loss, grads


def _jax_gradients(model, x, y, sample_weight):
    import jax

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    metrics = [v.value for v in model.metrics_variables]
    optimizer = getattr(model, "optimizer", None)
    optimizer_values = [v.value for v in optimizer.variables] if optimizer else []
    grad_fn = jax.value_and_grad(model.compute_loss_and_updates, has_aux=True)
    (_, aux), grads = grad_fn(
        trainable,
        non_trainable,
        metrics,
        x,
        y,
        sample_weight,
        training=True,
        optimizer_variables=optimizer_values,
    )
    unscaled_loss = aux[0]
    if optimizer is not None and optimizer.loss_scale_factor is not None:
        grads = [g / optimizer.loss_scale_factor for g in grads]
    return unscaled_loss, grads


def _torch_gradients(model, x, y, sample_weight):
    import torch

    variables = model.trainable_variables
    y_pred = model(x, training=True)
    loss = model.compute_loss(
        x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
    )
    grads = torch.autograd.grad(loss, [v.value for v in variables], allow_unused=True)
    return loss.detach(), grads


_GRADIENT_FNS = {
    "tensorflow": _tensorflow_gradients,
    "jax": _jax_gradients,
    "torch": _torch_gradients,
}


def compute_gradients(model, x, y, sample_weight=None):
    """One forward/backward pass in training mode with the compiled loss.

    The model is left exactly as it was: the training-mode pass would update
    BatchNormalization statistics and advance dropout seeds, so the
    non-trainable state is restored afterwards. Weights are never updated.

    Args:
        model: a compiled `keras.Model`.
        x: one batch of inputs (NumPy array or backend tensor).
        y: the targets of that batch.
        sample_weight: optional per-sample weights. Defaults to `None`.

    Returns:
        `(loss, grads)`: the loss as a Python float (regularisation losses
        included, as in `fit`) and a list of NumPy arrays aligned with
        `model.trainable_variables` (`None` where a variable gets no gradient).

    Raises:
        ValueError: if the model is not compiled with a loss, or the backend
            has no gradient implementation.

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> loss, grads = compute_gradients(model, np.ones((4, 3)), np.zeros((4, 1)))
        >>> [g.shape for g in grads]
        [(3, 1), (1,)]
    """
    _check_compiled(model)
    backend = keras.backend.backend()
    if backend not in _GRADIENT_FNS:
        raise ValueError(
            "Gradients are implemented for the 'tensorflow', 'jax' and 'torch' "
            f"backends. Received: keras.backend.backend()={backend!r}. Set "
            "KERAS_BACKEND to one of them."
        )
    if not model.built:
        model(x, training=False)
    if sample_weight is not None:
        sample_weight = keras.ops.convert_to_tensor(sample_weight, dtype="float32")
    kept = [v for v in model.variables if not v.trainable]
    kept += list(model.metrics_variables)
    state = ModelState(
        model_values=[(v, variable_to_numpy(v)) for v in kept],
        optimizer_values=[],
    )
    try:
        loss, grads = _GRADIENT_FNS[backend](model, x, y, sample_weight)
    finally:
        restore_state(model, state)
    grads = [
        None if g is None else np.asarray(keras.ops.convert_to_numpy(g)) for g in grads
    ]
    return float(keras.ops.convert_to_numpy(loss)), grads


def _owner_layers(model):
    """Top-level layers of `model` in input-to-output order (the model itself if
    it has no sub-layers)."""
    layers = list(getattr(model, "layers", []) or [])
    return layers or [model]


def layer_of_variable(model):
    """Map every trainable variable of `model` to the name of its owning layer.

    The owner is the top-level layer of the model that holds the variable, so
    per-layer numbers read as the names a user sees in `model.summary()`
    ("lstm", "bidirectional", "dense"), not as variable paths.

    Args:
        model: a built `keras.Model` (or a layer).

    Returns:
        A dict with two keys per variable, `id(variable)` and `variable.path`,
        both mapping to the layer name. Layer names appear in model order.

    Examples:
        >>> model = keras.Sequential(
        ...     [keras.Input((3,)), keras.layers.Dense(2, name="hidden"),
        ...      keras.layers.Dense(1, name="out")]
        ... )
        >>> owners = layer_of_variable(model)
        >>> [owners[v.path] for v in model.trainable_variables]
        ['hidden', 'hidden', 'out', 'out']
    """
    owners = {}
    for layer in _owner_layers(model):
        for variable in layer.trainable_variables:
            owners.setdefault(id(variable), layer.name)
            owners.setdefault(variable.path, layer.name)
    for variable in model.trainable_variables:
        if id(variable) not in owners:
            name = variable.path.rsplit("/", 1)[0]
            owners[id(variable)] = name
            owners[variable.path] = name
    return owners
