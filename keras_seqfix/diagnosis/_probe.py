"""The probe: short trainings on a fresh copy of the model that measure how it learns.

The probes run on `keras.models.clone_model(model)` compiled with the same loss and
a fresh optimizer of the same class and configuration: a copy at initialisation is
what "loss at init", "overfit one batch" and "real vs shuffled labels" (Karpathy's
recipe) are about, and the user's model is never trained. Models that cannot be
cloned (subclassed models) are probed in place, from their current weights, and
restored bit for bit by `keras_seqfix._backend.preserved_state` in `diagnose`.
"""

import math

import keras
import numpy as np

from keras_seqfix.diagnosis._inputs import all_layers


def probe_model(model):
    """A fresh, compiled copy of `model` (and `True`), or `model` itself (and `False`)."""
    try:
        clone = keras.models.clone_model(model)
        optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
        clone.compile(optimizer=optimizer, loss=model.loss)
        return clone, True
    except Exception:  # subclassed or otherwise uncloneable: probe in place
        return model, False


def loss_fn(model):
    """The compiled loss as a callable `(y_true, y_pred) -> float` (no metric state)."""
    loss = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
    if loss is None:
        raise ValueError("the model has no compiled loss")

    def compute(y_true, y_pred):
        y_true = keras.ops.convert_to_tensor(y_true)
        # `fit` reconciles ranks (labels `(n,)` against a sigmoid output `(n, 1)`)
        # inside `keras.losses.Loss`; a loss given by name is a bare function that
        # does not, and Keras exports no public helper for it.
        if len(y_true.shape) == len(y_pred.shape) - 1 and y_pred.shape[-1] == 1:
            y_true = keras.ops.expand_dims(y_true, -1)
        value = loss(y_true, y_pred)
        return float(keras.ops.convert_to_numpy(keras.ops.mean(value)))

    return compute


def mixed_rows(index, seed, size=256):
    """Up to `size` rows of `index` (an array of row ids, or a count) in random
    order, for a training-mode pass: it normalises each batch by its own
    statistics, and a slice of class-sorted data (the UCR/UEA sets are sorted)
    would give BatchNormalization batches of one or two classes. A generator of
    its own, so the probe's other draws stay as they were."""
    return np.random.default_rng(seed).permutation(index)[:size]


def batch_loss(model, x, y, *, training, batch_size=64):
    """Mean loss of `model` on `(x, y)` with `training` mode on or off (forward only)."""
    compute, total = loss_fn(model), 0.0
    for start in range(0, len(x), batch_size):
        stop = min(start + batch_size, len(x))
        y_pred = model(x[start:stop], training=training)
        total += compute(y[start:stop], y_pred) * (stop - start)
    return total / max(len(x), 1)


def predicted_ids(model, x, batch_size):
    """Predicted class ids: argmax of several outputs, threshold of one."""
    out = np.asarray(model.predict_on_batch(x)).reshape(len(x), -1)
    if out.shape[1] > 1:
        return out.argmax(axis=1)
    probs = out[:, 0]
    threshold = 0.5 if probs.min() >= 0 and probs.max() <= 1 else 0.0
    return (probs > threshold).astype(np.int64)


def fit_curve(
    model,
    x,
    y,
    *,
    steps,
    batch_size,
    validation=None,
    seed=0,
    points=8,
    sample_weight=None,
):
    """Train `steps` steps with `train_on_batch`; returns a history-like dict.

    `train_on_batch` on batches sliced by index (reshuffled every pass) skips the
    data adapter, epochs and callbacks of `fit`, whose set-up costs more than a
    short probe; every batch has the same shape, so the step is traced once.
    `"loss"` holds the mean training loss over each of `points` equal chunks of
    the steps, `"val_loss"` the loss on `validation` at the end of each chunk.
    `sample_weight` (one per row of `x`) weighs each batch's loss as `fit` does.
    """
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    batch_size = min(batch_size, len(x))
    order = np.empty(0, dtype=np.int64)
    losses, curve, val_curve = [], [], []
    chunk = max(1, math.ceil(steps / points))
    for step in range(steps):
        if len(order) < batch_size:
            order = np.concatenate([order, rng.permutation(len(x))])
        batch, order = order[:batch_size], order[batch_size:]
        weights = None if sample_weight is None else sample_weight[batch]
        out = model.train_on_batch(x[batch], y[batch], sample_weight=weights)
        losses.append(float(out[0] if isinstance(out, list | tuple) else out))
        if (step + 1) % chunk == 0 or step + 1 == steps:
            curve.append(float(np.mean(losses[-chunk:])))
            if validation is not None:
                out = model.test_on_batch(*validation)
                val_curve.append(
                    float(out[0] if isinstance(out, list | tuple) else out)
                )
    history = {"loss": curve, "step_loss": losses}
    if validation is not None:
        history["val_loss"] = val_curve
    return history


def accuracy_stats(model, x, ids, batch_size):
    """Accuracy and per-class recall on `(x, ids)`."""
    pred = predicted_ids(model, x, batch_size)
    recalls = {}
    for c in np.unique(ids):
        recalls[int(c)] = float(np.mean(pred[ids == c] == c))
    return float(np.mean(pred == ids)), recalls


def layer_gradient_norms(model, x, y):
    """Global and per-layer gradient L2 norms (layers in input-to-output order)."""
    from keras_seqfix._backend.gradients import compute_gradients

    loss, grads = compute_gradients(model, x, y)
    owner = {}
    for layer in all_layers(model):
        for variable in layer.trainable_weights:
            owner.setdefault(id(variable), layer.name)
    norms = {}
    for variable, grad in zip(model.trainable_variables, grads, strict=False):
        if grad is None:
            continue
        name = owner.get(id(variable), variable.path.split("/")[0])
        sq = float(np.sum(np.square(np.asarray(grad, dtype=np.float64))))
        norms[name] = norms.get(name, 0.0) + sq
    norms = {
        name: math.sqrt(v) if math.isfinite(v) else float("inf")
        for name, v in norms.items()
    }
    total = math.sqrt(sum(v * v for v in norms.values())) if norms else 0.0
    return float(loss), total, norms


def finite_rows(*arrays):
    """Rows whose values are finite in every one of `arrays` (all of one length;
    non-float arrays are finite). The one row filter of the probes, the reference
    and the per-class view."""
    keep = np.ones(len(arrays[0]), dtype=bool)
    for array in arrays:
        if array.dtype.kind == "f":
            keep &= np.isfinite(array.reshape(len(array), -1)).all(axis=1)
    return keep


def split_holdout(ctx, x, y, ids, rng):
    """Row indices of the probe's train part in `x` and its holdout (arrays):
    `validation_data` if given, else 20% of `x`."""
    usable = None
    if ctx.x_val is not None and ctx.val_ids is not None:
        # Rows whose label the loss can read (ids >= 0: labels of -1/1 for a
        # binary loss give -1) and whose inputs are finite, as for `x`.
        usable = np.flatnonzero((ctx.val_ids >= 0) & finite_rows(ctx.x_val, ctx.y_val))
    if usable is not None and len(usable) >= 2:
        x_val, y_val, val_ids = ctx.x_val, ctx.y_val, ctx.val_ids
        keep = rng.permutation(usable)[: max(64, len(x) // 4)]
        return np.arange(len(x)), (x_val[keep], y_val[keep], val_ids[keep])
    from sklearn.model_selection import train_test_split

    index = np.arange(len(x))
    counts = np.bincount(ids)
    stratify = ids if counts[counts > 0].min() >= 2 else None
    try:
        train, hold = train_test_split(
            index, test_size=0.2, random_state=ctx.seed, stratify=stratify
        )
    except ValueError:  # too few samples to stratify
        train, hold = train_test_split(index, test_size=0.2, random_state=ctx.seed)
    return train, (x[hold], y[hold], ids[hold])
