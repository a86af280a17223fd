"""Tests for `build_cnn_lstm` and `unfreeze_backbone`."""

import keras
import numpy as np
import pytest

from keras_seqfix.models import build_cnn_lstm, unfreeze_backbone

APP = "MobileNetV3Small"
FRAME = (32, 32, 3)


def _clips(n=2, frames=3, shape=(8, 8, 1), seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(n, frames, *shape)).astype("float32")


def _fit(model, x, y):
    # Eager training steps: the same layers and loss without tracing a train
    # function per model (about 10x faster on these tiny clips).
    model.run_eagerly = True
    return model.fit(x, y, epochs=1, verbose=0)


def _predict(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


def _tiny_backbone(shape=(8, 8, 1)):
    inputs = keras.Input(shape=shape)
    x = keras.layers.Conv2D(4, 3, name="conv_a")(inputs)
    x = keras.layers.BatchNormalization(name="bn_a")(x)
    x = keras.layers.Conv2D(4, 3, name="conv_b")(x)
    x = keras.layers.BatchNormalization(name="bn_b")(x)
    x = keras.layers.Dense(3, name="dense_top")(x)
    return keras.Model(inputs, x, name="tiny")


def test_small_cnn_shapes_variable_frames_and_trains():
    model = build_cnn_lstm(3, input_shape=(None, 8, 8, 1), units=4)
    assert _predict(model, _clips(frames=2)).shape == (2, 3)
    assert _predict(model, _clips(frames=5)).shape == (2, 3)
    # A random backbone is never frozen, even with freeze_backbone=True.
    assert model.get_layer("frame_backbone").layer.trainable


def test_user_backbone_frozen_pooled_and_not_changed():
    backbone = _tiny_backbone()
    model = build_cnn_lstm(2, input_shape=(3, 8, 8, 1), backbone=backbone, units=4)
    inner = model.get_layer("frame_backbone").layer
    assert not inner.trainable
    assert backbone.trainable  # the caller's model is left alone
    assert inner is not backbone
    # Feature maps are pooled per frame before the recurrent stack.
    assert model.get_layer("frame_pooling").output.shape == (None, 3, 3)
    before = [w.copy() for w in inner.get_weights()]
    _fit(model, _clips(), np.array([0, 1]))
    for old, new in zip(before, inner.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_augmentation_runs_before_backbone_only_in_training():
    noise = keras.layers.GaussianNoise(0.5, seed=0)
    model = build_cnn_lstm(2, input_shape=(3, 8, 8, 1), augmentation=noise, units=4)
    names = [layer.name for layer in model.layers]
    assert names.index(noise.name) < names.index("frame_backbone")
    x = _clips()
    direct = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(direct, model.predict(x, verbose=0), atol=1e-6)


def test_application_weights_file_is_loaded(tmp_path):
    app = keras.applications.MobileNetV3Small(
        include_top=False, weights=None, input_shape=FRAME, pooling="avg"
    )
    path = tmp_path / "mobilenet.weights.h5"
    app.save_weights(path)
    model = build_cnn_lstm(
        2, input_shape=(2, *FRAME), backbone=APP, backbone_weights=str(path), units=4
    )
    inner = model.get_layer("frame_backbone").layer
    assert not inner.trainable  # pretrained weights: frozen by default
    for expected, actual in zip(app.get_weights(), inner.get_weights(), strict=True):
        np.testing.assert_array_equal(expected, actual)


def test_imagenet_offline_without_cache_raises_before_download(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def no_download(*args, **kwargs):
        raise AssertionError("keras.utils.get_file must not be called")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    with pytest.raises(ValueError, match="backbone_weights=.*path") as info:
        build_cnn_lstm(
            2, input_shape=(2, *FRAME), backbone=APP, backbone_weights="imagenet"
        )
    assert f"keras.applications.{APP}(include_top=False" in str(info.value)


def test_imagenet_cache_skips_variants_the_builder_does_not_build(
    tmp_path, monkeypatch
):
    from keras_seqfix.models.backbones import cached_imagenet_weights

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    folder = tmp_path / "models"
    folder.mkdir()
    # Sorted first, each would have been picked before the alpha-1.0 file.
    for name in (
        "weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5",
        "weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5",
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        "weights_mobilenet_v3_large_minimalistic_224_1.0_float_no_top_v2.h5",
    ):
        (folder / name).write_bytes(b"")
    assert cached_imagenet_weights("MobileNetV2") is None
    assert cached_imagenet_weights("MobileNetV3Large") is None
    wanted = folder / "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
    wanted.write_bytes(b"")
    assert cached_imagenet_weights("MobileNetV3Small") == str(wanted)


def test_imagenet_uses_cached_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    app = keras.applications.MobileNetV3Small(
        include_top=False, weights=None, input_shape=FRAME, pooling="avg"
    )
    (tmp_path / "models").mkdir()
    # Named like the Keras cache file; the Keras 3 weights format is used so
    # that the test needs no legacy HDF5 writer.
    name = "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.weights.h5"
    app.save_weights(tmp_path / "models" / name)
    model = build_cnn_lstm(
        2, input_shape=(2, *FRAME), backbone=APP, backbone_weights="imagenet", units=4
    )
    inner = model.get_layer("frame_backbone").layer
    np.testing.assert_array_equal(inner.get_weights()[0], app.get_weights()[0])


def test_save_load_safe_mode(tmp_path):
    model = build_cnn_lstm(
        2, input_shape=(None, 8, 8, 1), units=4, pooling="attention", labels="one_hot"
    )
    x = _clips()
    model.fit(x, np.eye(2), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )


@pytest.mark.parametrize("num_layers", [None, 2])
def test_unfreeze_backbone(num_layers):
    model = build_cnn_lstm(
        2, input_shape=(3, 8, 8, 1), backbone=_tiny_backbone(), units=4
    )
    loss, metric_names = model.loss, model.get_compile_config()["metrics"]
    assert unfreeze_backbone(model, num_layers=num_layers, learning_rate=1e-4) is model
    inner = model.get_layer("frame_backbone").layer
    trainable = {layer.name for layer in inner.layers if layer.trainable_weights}
    # `num_layers` counts layers with weights, BatchNormalization left out.
    expected = {"conv_a", "conv_b", "dense_top"}
    if num_layers == 2:
        expected = {"conv_b", "dense_top"}
    assert trainable == expected
    assert not inner.get_layer("bn_a").trainable
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
    assert model.loss is loss
    assert model.get_compile_config()["metrics"] == metric_names
    # BatchNormalization stays in inference mode: its statistics do not move.
    stats = [w.copy() for w in inner.get_layer("bn_b").get_weights()]
    history = _fit(model, _clips(), np.array([0, 1]))
    assert "accuracy" in history.history
    for old, new in zip(stats, inner.get_layer("bn_b").get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def _ones_rate(y_true, y_pred):
    """A user's own metric function, not registered with Keras."""
    return keras.ops.mean(keras.ops.cast(keras.ops.argmax(y_pred, -1) == 1, "float32"))


def test_unfreeze_backbone_keeps_the_users_optimizer_and_metrics():
    model = build_cnn_lstm(
        2, input_shape=(3, 8, 8, 1), backbone=_tiny_backbone(), units=4
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9, clipnorm=1.0),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", _ones_rate],
    )
    users = type(model.optimizer)  # on torch a backend subclass of SGD
    unfreeze_backbone(model, learning_rate=1e-4)
    optimizer = model.optimizer
    assert type(optimizer) is users and isinstance(optimizer, keras.optimizers.SGD)
    assert (optimizer.momentum, optimizer.clipnorm) == (0.9, 1.0)
    assert float(optimizer.learning_rate) == pytest.approx(1e-4)
    history = _fit(model, _clips(), np.array([0, 1]))
    assert {"accuracy", "_ones_rate"} <= set(history.history)


def test_backbone_without_an_input_is_built_by_time_distributed():
    # A Sequential without keras.Input has no inputs to check yet.
    frame = keras.Sequential(
        [keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D()]
    )
    model = build_cnn_lstm(2, input_shape=(3, 8, 8, 1), backbone=frame, units=4)
    assert model(_clips()).shape == (2, 2)


def test_unfreeze_backbone_never_freezes_a_trainable_layer():
    # "small_cnn" trains from scratch: every layer, BatchNormalization included,
    # is trainable before, and must stay so whatever `num_layers` says.
    model = build_cnn_lstm(2, input_shape=(3, 8, 8, 1), units=4)
    inner = model.get_layer("frame_backbone").layer
    before = {layer.name: layer.trainable for layer in inner.layers if layer.weights}
    assert all(before.values())
    unfreeze_backbone(model, num_layers=1)
    after = {layer.name: layer.trainable for layer in inner.layers if layer.weights}
    assert after == before


def test_unfreeze_backbone_reaches_layers_of_a_nested_model():
    block = keras.Sequential(
        [keras.Input((6, 6, 4)), keras.layers.Conv2D(4, 3, name="inner_conv")],
        name="block",
    )
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, name="stem")(inputs)
    outputs = keras.layers.Dense(3, name="head")(block(x))
    backbone = keras.Model(inputs, outputs)
    model = build_cnn_lstm(2, input_shape=(3, 8, 8, 1), backbone=backbone, units=4)
    unfreeze_backbone(model, num_layers=2)
    inner = model.get_layer("frame_backbone").layer
    trainable = {w.path.split("/")[-2] for w in inner.trainable_weights}
    assert trainable == {"inner_conv", "head"}


def test_fresh_optimizer_keeps_loss_scaling():
    from keras_seqfix.models.fine_tuning import _fresh_optimizer

    old = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.1, momentum=0.5), dynamic_growth_steps=7
    )
    new = _fresh_optimizer(old, 1e-3)
    assert isinstance(new, keras.optimizers.LossScaleOptimizer)
    assert new.dynamic_growth_steps == 7
    assert type(new.inner_optimizer) is type(old.inner_optimizer)
    assert isinstance(new.inner_optimizer, keras.optimizers.SGD)
    assert new.inner_optimizer.momentum == 0.5
    assert float(new.inner_optimizer.learning_rate) == pytest.approx(1e-3)


@pytest.mark.parametrize("auto_scale_loss", [True, False])
def test_unfreeze_backbone_keeps_loss_scaling_on_or_off(auto_scale_loss):
    # `auto_scale_loss` is not in Keras's compile config: recompiling must not
    # wrap an optimizer the user chose to leave unscaled, nor unwrap a scaled one.
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build_cnn_lstm(
            2, input_shape=(3, 8, 8, 1), backbone=_tiny_backbone(), units=4
        )
        model.compile(
            "adam", "sparse_categorical_crossentropy", auto_scale_loss=auto_scale_loss
        )
        scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        assert scaled == auto_scale_loss
        unfreeze_backbone(model, learning_rate=1e-4)
        assert (
            isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer) == scaled
        )
    finally:
        keras.config.set_dtype_policy("float32")


def test_unfreeze_backbone_errors():
    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="frame_backbone"):
        unfreeze_backbone(plain)
    model = build_cnn_lstm(2, input_shape=(3, 8, 8, 1), units=4, compile=False)
    with pytest.raises(ValueError, match="compiled"):
        unfreeze_backbone(model)
    model = build_cnn_lstm(2, input_shape=(3, 8, 8, 1), units=4)
    with pytest.raises(ValueError, match="num_layers"):
        unfreeze_backbone(model, num_layers=0)
