"""The private attributes of Keras and imbalanced-learn that keras_seqfix reads.

Each one sits behind one small function here, with a comment naming the public
API that is missing, and `tests/_backend/test_private_api.py` checks that the
attribute still exists and behaves as we rely on, so a release of the dependency
that changes it fails there, loudly, rather than somewhere downstream.

Where a public way exists we use it instead (`sklearn_compat.utils.get_tags`
for imbalanced-learn's tags, `copy.deepcopy` for keras-tuner's callbacks), so
those are not here.
"""

import keras


class PrivateAPIChanged(RuntimeError):
    """A private attribute of a dependency is gone or changed shape."""


def _changed(what, package, version):
    return PrivateAPIChanged(
        f"keras_seqfix relies on {what}, which {package} {version} no longer "
        "provides. This is a keras_seqfix bug: please report it with your "
        f"{package} version, or install an earlier {package} release."
    )


def optimizer_variables(optimizer):
    """The variables `optimizer` was built for, in the order it updates them.

    Missing public API: Keras optimizers do not expose the list of variables
    `build(var_list)` was given (`optimizer.variables` is the optimizer's own
    state). `optimizer.apply(grads)` without variables uses this list.
    """
    try:
        return list(optimizer._trainable_variables)
    except AttributeError:
        raise _changed(
            "`optimizer._trainable_variables`", "Keras", keras.__version__
        ) from None


def raw_learning_rate(optimizer):
    """What `optimizer` was given as `learning_rate`: a variable, schedule or callable.

    Missing public API: `optimizer.learning_rate` evaluates a schedule or a
    callable at the current step, so it cannot tell a constant rate from a
    schedule, and `optimizer.get_config()` fails on a lambda. Keras keeps the
    argument in `optimizer._learning_rate`.
    """
    try:
        return optimizer._learning_rate
    except AttributeError:
        raise _changed(
            "`optimizer._learning_rate`", "Keras", keras.__version__
        ) from None


def compile_arguments(model):
    """The objects `model.compile` was called with, as a dict, or `None`.

    Missing public API: `model.get_compile_config()` returns the serialised
    arguments only, which cannot rebuild a user's own unregistered metric or loss
    function; Keras keeps the original objects in `model._compile_config.config`.
    `None` when the model is not compiled (or was compiled from a saved config).
    """
    kept = getattr(model, "_compile_config", None)
    if kept is None:
        return None
    config = getattr(kept, "config", None)
    if not isinstance(config, dict):
        raise _changed(
            "`model._compile_config.config` (a dict)", "Keras", keras.__version__
        )
    return dict(config)


def sampling_type(sampler):
    """imbalanced-learn's kind of a sampler, e.g. `"over-sampling"`, or `None`.

    Missing public API: imbalanced-learn's `check_sampling_strategy` takes the
    sampling type, but samplers keep it only in the class attribute
    `_sampling_type` ("over-sampling", "under-sampling", "clean-sampling",
    "ensemble", "bypass"). `None` for an object that is not an imbalanced-learn
    sampler (a user's own sampler without one).
    """
    return getattr(sampler, "_sampling_type", None)


def arrays_transformer(X, y):
    """imbalanced-learn's `ArraysTransformer` for `X` and `y`.

    Missing public API: the helper with which imbalanced-learn's samplers give
    back the types they received (DataFrame columns and dtypes, Series names,
    lists) lives in the private `imblearn.utils._validation`.
    `.transform(X_res, y_res)` returns them in the input types.
    """
    try:
        from imblearn.utils._validation import ArraysTransformer
    except ImportError:
        import imblearn

        raise _changed(
            "`imblearn.utils._validation.ArraysTransformer`",
            "imbalanced-learn",
            imblearn.__version__,
        ) from None
    return ArraysTransformer(X, y)


#: The keys of `get_random_transformation` results we read, per Keras layer.
#: Missing public API: Keras documents `get_random_transformation` but not the
#: keys of the dict it returns, and the matrix builders that read them
#: (`RandomZoom._get_zoom_matrix`, ...) are private.
TRANSFORMATION_KEYS = {
    keras.layers.RandomFlip: ("flips",),
    keras.layers.RandomRotation: ("rotation_matrix",),
    keras.layers.RandomZoom: ("height_zoom", "width_zoom"),
    keras.layers.RandomTranslation: ("translations",),
    keras.layers.RandomShear: ("shear_factor",),
}


def _keys(layer):
    for cls, keys in TRANSFORMATION_KEYS.items():
        if isinstance(layer, cls):
            return keys
    raise TypeError(
        "`layer` should be one of "
        f"{sorted(c.__name__ for c in TRANSFORMATION_KEYS)}. "
        f"Received: {type(layer).__name__}."
    )


def transformation_parameters(layer, transformation):
    """The drawn parameters in `layer.get_random_transformation(...)`'s result.

    Args:
        layer: a Keras `RandomFlip`, `RandomRotation`, `RandomZoom`,
            `RandomTranslation` or `RandomShear`.
        transformation: the dict its `get_random_transformation` returned.

    Returns:
        A tuple of tensors in the order of `TRANSFORMATION_KEYS[type(layer)]`.
    """
    keys = _keys(layer)
    missing = [k for k in keys if k not in transformation]
    if missing:
        raise _changed(
            f"the keys {list(keys)} in {type(layer).__name__}."
            f"get_random_transformation's result (it has {sorted(transformation)})",
            "Keras",
            keras.__version__,
        )
    return tuple(transformation[k] for k in keys)


def with_transformation_parameters(layer, transformation, values):
    """A copy of `transformation` whose drawn parameters are `values`."""
    transformation_parameters(layer, transformation)  # the keys are there
    return {**transformation, **dict(zip(_keys(layer), values, strict=True))}
