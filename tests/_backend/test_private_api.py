"""Contracts with the private API of Keras and imbalanced-learn we rely on.

Each test asserts that the private attribute exists and behaves as
`keras_seqfix._backend.private_api` (and `gradient_tap`) assume: when a release
of the dependency changes it, the failure is here and names it.
"""

import keras
import numpy as np
import pytest

from keras_seqfix._backend import private_api
from keras_seqfix._backend.gradient_tap import (
    install_gradient_tap,
    remove_gradient_tap,
)


def _model(optimizer="sgd"):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer, "mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 3)).astype("float32"), np.zeros((8, 2), "float32")


def test_optimizer_variables_are_the_model_trainable_variables():
    model = _model()
    model.optimizer.build(model.trainable_variables)
    got = private_api.optimizer_variables(model.optimizer)
    assert [v.path for v in got] == [v.path for v in model.trainable_variables]
    assert all(a is b for a, b in zip(got, model.trainable_variables, strict=True))


def test_optimizer_variables_missing_raises_loudly():
    class Bare:
        pass

    with pytest.raises(private_api.PrivateAPIChanged, match="_trainable_variables"):
        private_api.optimizer_variables(Bare())


def test_raw_learning_rate_tells_constant_from_schedule():
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
    assert private_api.raw_learning_rate(keras.optimizers.Adam(schedule)) is schedule
    constant = private_api.raw_learning_rate(keras.optimizers.Adam(0.25))
    assert isinstance(constant, keras.Variable)
    assert float(constant.numpy()) == 0.25

    def rate():
        return 0.1

    assert private_api.raw_learning_rate(keras.optimizers.Adam(rate)) is rate
    with pytest.raises(private_api.PrivateAPIChanged, match="_learning_rate"):
        private_api.raw_learning_rate(object())


def test_compile_arguments_are_the_objects_passed_to_compile():
    def my_metric(y_true, y_pred):  # unregistered: the config cannot rebuild it
        return keras.ops.mean(y_pred)

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    loss = keras.losses.MeanSquaredError()
    model.compile("adam", loss, metrics=[my_metric])
    kept = private_api.compile_arguments(model)
    assert kept["loss"] is loss
    assert kept["metrics"][0] is my_metric
    assert private_api.compile_arguments(keras.Sequential()) is None


def test_train_step_calls_the_instance_apply_and_fit_calls_train_function():
    """The two undocumented behaviours `install_gradient_tap` relies on."""
    if keras.backend.backend() not in ("tensorflow", "torch"):
        pytest.skip("apply is shadowed on TensorFlow and PyTorch")
    model = _model()
    x, y = _data()
    seen = []

    def tap(grads, variables, loss_scale, apply):
        seen.append(([tuple(g.shape) for g in grads], [v.path for v in variables]))
        return apply()

    install_gradient_tap(model.optimizer, tap)
    try:
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    finally:
        remove_gradient_tap(model.optimizer)
    # Traced once (TensorFlow) or called per step (torch): at least one call
    # with the gradients aligned with the model's trainable variables.
    assert seen, "train_step no longer calls optimizer.apply on the instance"
    shapes, paths = seen[0]
    assert paths == [v.path for v in model.trainable_variables]
    assert shapes == [tuple(v.shape) for v in model.trainable_variables]
    assert "apply" not in model.optimizer.__dict__

    calls = []
    model.make_train_function(force=True)
    original = model.train_function

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    model.train_function = counting
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert len(calls) == 2, "fit no longer calls model.train_function each step"


def test_sampling_type_of_imbalanced_learn_samplers():
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler, TomekLinks

    assert private_api.sampling_type(RandomOverSampler()) == "over-sampling"
    assert private_api.sampling_type(SMOTE()) == "over-sampling"
    assert private_api.sampling_type(RandomUnderSampler()) == "under-sampling"
    assert private_api.sampling_type(TomekLinks()) == "clean-sampling"
    assert private_api.sampling_type(object()) is None


def test_arrays_transformer_round_trips_types():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    y = pd.Series([0, 1], name="label")
    x_out, y_out = private_api.arrays_transformer(X, y).transform(
        np.array([[5.0, 6.0]]), np.array([1])
    )
    assert list(x_out.columns) == ["a", "b"]
    assert y_out.name == "label"


@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.RandomFlip(),
        keras.layers.RandomRotation(0.1),
        keras.layers.RandomZoom(0.1),
        keras.layers.RandomTranslation(0.1, 0.1),
        keras.layers.RandomShear(0.1, 0.1),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_random_transformation_keys(layer):
    images = np.zeros((3, 8, 8, 1), "float32")
    t = layer.get_random_transformation(images, training=True, seed=0)
    values = private_api.transformation_parameters(layer, t)
    assert all(keras.ops.shape(v)[0] == 3 for v in values)  # one per image
    doubled = tuple(keras.ops.expand_dims(v, 1) for v in values)
    new = private_api.with_transformation_parameters(layer, t, doubled)
    assert private_api.transformation_parameters(layer, new) == doubled
    # The dict is not changed, and the layer still applies what we rebuilt.
    assert private_api.transformation_parameters(layer, t) == values
    out = layer.transform_images(images, t, training=True)
    assert tuple(out.shape) == images.shape


def test_missing_transformation_key_raises_loudly():
    layer = keras.layers.RandomZoom(0.1)
    with pytest.raises(private_api.PrivateAPIChanged, match="height_zoom"):
        private_api.transformation_parameters(layer, {"zoom": 1})
    with pytest.raises(TypeError, match="Received: Dense"):
        private_api.transformation_parameters(keras.layers.Dense(1), {})
