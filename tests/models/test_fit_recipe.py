"""`fit_recipe`: the fit arguments by set size, and the weights it restores."""

import math

import keras
import numpy as np
import pytest

import keras_seqfix as ksf
from keras_seqfix.models import fit_recipe


def _callback(recipe, kind):
    (found,) = [c for c in recipe["callbacks"] if isinstance(c, kind)]
    return found


@pytest.mark.parametrize(
    "n, batch_size, epochs",
    [
        # 1-32 samples: 1-2 batches an epoch, 2,500 updates capped at 1,000 epochs.
        (1, 1, 1000),
        (7, 7, 1000),
        (16, 16, 1000),
        (17, 9, 1000),
        # The shipped UCR sets: 2,500 updates over 3-17 batches an epoch.
        (36, 12, 834),
        (40, 14, 834),
        (50, 13, 625),
        (67, 14, 500),
        (270, 16, 148),
        # 63 batches an epoch: 40 epochs would do, the floor is 100.
        (999, 16, 100),
    ],
)
def test_small_sets_train_on_every_sample_in_even_batches(n, batch_size, epochs):
    recipe = fit_recipe(np.zeros((n, 5, 1)))
    assert (recipe["batch_size"], recipe["epochs"]) == (batch_size, epochs)
    assert "validation_split" not in recipe
    # As many batches as batches of 16 would give, spread evenly: the last one is
    # short by fewer samples than there are batches (36 -> 3 x 12, not 16+16+4).
    batches = math.ceil(n / batch_size)
    assert batches == math.ceil(n / 16)
    assert n - (batches - 1) * batch_size > batch_size - batches


@pytest.mark.parametrize(
    "n, sizes", [(36, [12] * 3), (40, [14, 14, 12]), (50, [13] * 3 + [11])]
)
def test_the_shipped_small_sets_get_batches_of_nearly_one_size(n, sizes):
    batch_size = fit_recipe(n)["batch_size"]
    batches = [min(batch_size, n - start) for start in range(0, n, batch_size)]
    assert batches == sizes


def test_small_sets_halve_on_the_training_loss_and_stop_at_its_floor():
    recipe = fit_recipe(50)
    plateau = _callback(recipe, keras.callbacks.ReduceLROnPlateau)
    stopping = _callback(recipe, keras.callbacks.EarlyStopping)
    assert plateau.monitor == "loss"
    assert (plateau.factor, plateau.min_lr) == (0.5, 1e-4)
    assert plateau.patience == 31  # 5% of 625 epochs
    assert stopping.monitor == "loss"
    assert stopping.restore_best_weights
    assert stopping.patience == 62  # two plateau windows
    assert stopping.min_delta == 1e-3


def test_floor_delta_none_trains_the_whole_budget():
    recipe = fit_recipe(50, floor_delta=None)
    stopping = _callback(recipe, keras.callbacks.EarlyStopping)
    assert stopping.patience >= recipe["epochs"] and stopping.min_delta == 0


def _drive(stopping, losses):
    """Feed `losses` to `stopping` as epoch logs; the epoch it stopped, or None."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False
    stopping.set_model(model)
    stopping.on_train_begin()
    kernel = model.weights[0]
    for epoch, loss in enumerate(losses):
        kernel.assign(np.full((1, 1), float(epoch), "float32"))
        stopping.on_epoch_end(epoch, {"loss": loss})
        if model.stop_training:
            break
    stopping.on_train_end()
    stopped = epoch if model.stop_training else None
    return stopped, float(keras.ops.convert_to_numpy(kernel)[0, 0])


def test_a_loss_at_its_floor_stops_after_two_plateau_windows():
    # Falls by 0.1 an epoch to epoch 5, then by 1e-5 an epoch (below the floor).
    recipe = fit_recipe(50)
    stopping = _callback(recipe, keras.callbacks.EarlyStopping)
    losses = [1.0 - 0.1 * min(e, 5) - 1e-5 * max(0, e - 5) for e in range(625)]
    stopped, restored = _drive(stopping, losses)
    assert stopped == 5 + 62
    assert restored == 5.0  # the weights of the last fall of 1e-3 or more


def test_a_slow_steady_fall_keeps_training():
    # 2e-4 an epoch is below floor_delta per epoch, but 1e-3 every 5 epochs.
    stopping = _callback(fit_recipe(50), keras.callbacks.EarlyStopping)
    stopped, _ = _drive(stopping, [1.0 - 2e-4 * e for e in range(625)])
    assert stopped is None


def test_large_sets_hold_out_validation_and_watch_it():
    recipe = fit_recipe(np.zeros((3400, 64), dtype="int32"))
    assert recipe["validation_split"] == 0.1
    assert (recipe["batch_size"], recipe["epochs"]) == (64, 100)
    for kind in (keras.callbacks.ReduceLROnPlateau, keras.callbacks.EarlyStopping):
        assert _callback(recipe, kind).monitor == "val_loss"
    stopping = _callback(recipe, keras.callbacks.EarlyStopping)
    assert stopping.restore_best_weights and stopping.patience == 10


def test_options_move_the_thresholds():
    assert "validation_split" in fit_recipe(500, large=500)
    assert fit_recipe(36, updates=300)["epochs"] == 100
    assert fit_recipe(36, max_batch_size=36)["batch_size"] == 36
    assert fit_recipe(36, max_epochs=5)["epochs"] == 5
    assert fit_recipe(5000, max_epochs=5)["epochs"] == 5


def test_each_call_builds_new_callbacks():
    first, second = fit_recipe(40), fit_recipe(40)
    assert not set(map(id, first["callbacks"])) & set(map(id, second["callbacks"]))


@pytest.mark.parametrize(
    "x",
    [
        36,
        np.zeros((36, 4, 2)),
        [np.zeros((36, 4)), np.zeros((36, 2))],
        {"series": np.zeros((36, 4)), "extra": np.zeros((36, 1))},
    ],
    ids=["int", "array", "list", "dict"],
)
def test_counts_the_samples_of_every_input_form(x):
    assert fit_recipe(x)["batch_size"] == 12


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(x=(s for s in range(3))), TypeError, "`x` should be the training"),
        (dict(x=keras.utils.PyDataset()), TypeError, "fit_recipe\\(num_samples\\)"),
        (dict(x=np.zeros((0, 3))), ValueError, "shape \\(0, 3\\)"),
        (dict(x=0), ValueError, "at least one sample"),
        (dict(x=True), TypeError, "`x`"),
        (dict(x=10, updates=0), ValueError, "`updates`"),
        (dict(x=10, updates=2.5), TypeError, "`updates`"),
        (dict(x=10, max_batch_size=0), ValueError, "`max_batch_size`"),
        (dict(x=10, large="big"), TypeError, "`large`"),
        (dict(x=10, max_epochs=-1), ValueError, "positive integer or None"),
        (dict(x=10, floor_delta=-0.1), ValueError, "`floor_delta`"),
        (dict(x=10, floor_delta="small"), ValueError, "`floor_delta`"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, error, match):
    with pytest.raises(error, match=match):
        fit_recipe(**kwargs)


def test_without_a_floor_a_worse_loss_never_stops_the_run_and_the_best_returns():
    # The recipe's EarlyStopping driven with fake logs: best at epoch 1, then
    # worse for every remaining epoch. It must never stop, and restore epoch 1.
    epochs = fit_recipe(40)["epochs"]
    stopping = _callback(
        fit_recipe(40, floor_delta=None), keras.callbacks.EarlyStopping
    )
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False
    stopping.set_model(model)
    stopping.on_train_begin()
    kernel = model.weights[0]
    for epoch in range(epochs):
        kernel.assign(np.full((1, 1), float(epoch), "float32"))
        stopping.on_epoch_end(epoch, {"loss": 0.1 if epoch == 1 else 1.0 + epoch})
        assert not model.stop_training, epoch
    stopping.on_train_end()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(kernel), [[1.0]])


class _SpikeAt(keras.callbacks.Callback):
    """Raise the learning rate at one epoch, so the later epochs lose the best loss."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.optimizer.learning_rate.assign(10.0)


class _WeightsPerEpoch(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([np.array(w) for w in self.model.get_weights()])


def test_fit_ends_on_the_weights_of_the_lowest_training_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6, 2)).astype("float32")
    y = (x[:, :, 0].mean(axis=1) > 0).astype("int32")
    model = ksf.models.build_lstm_classifier(
        2, input_shape=(6, 2), units=4, conv_branch=False, learning_rate=0.05
    )
    recipe = fit_recipe(x, max_epochs=8)
    record = _WeightsPerEpoch()
    callbacks = [*recipe["callbacks"], _SpikeAt(4), record]
    history = model.fit(x, y, **{**recipe, "callbacks": callbacks}, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 8  # no early stop
    best = int(np.nanargmin(losses))
    assert best < 4, losses  # the spike made the last epochs worse
    for restored, kept in zip(model.get_weights(), record.weights[best], strict=True):
        np.testing.assert_array_equal(np.asarray(restored), kept)


class _ZeroFrom(keras.callbacks.Callback):
    """From one epoch on, zero the weights and stop learning: a worse loss."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch >= self.epoch:
            self.model.optimizer.learning_rate.assign(0.0)
            self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])


class _WeightsAtTrainEnd(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        self.weights = [np.array(w) for w in self.model.get_weights()]


def test_own_callbacks_run_after_the_recipes_in_one_fit_call():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6, 2)).astype("float32")
    y = (x[:, :, 0].mean(axis=1) > 0).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((6, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    zero, per_epoch, at_end = _ZeroFrom(4), _WeightsPerEpoch(), _WeightsAtTrainEnd()
    recipe = fit_recipe(x, max_epochs=8, callbacks=[zero, per_epoch, at_end])
    kinds = [type(c) for c in recipe["callbacks"]]
    assert kinds[:2] == [
        keras.callbacks.ReduceLROnPlateau,
        keras.callbacks.EarlyStopping,
    ]
    assert recipe["callbacks"][2:] == [zero, per_epoch, at_end]  # yours, in order
    history = model.fit(x, y, **recipe, verbose=0)  # no TypeError: one `callbacks`
    losses = history.history["loss"]
    assert len(losses) == len(per_epoch.weights) == 8  # your callbacks ran
    best = int(np.nanargmin(losses))
    assert best < 4, losses  # zeroed weights made the last epochs worse
    # Yours run after the recipe's: at the end they see the restored weights.
    for seen, best_weights in zip(at_end.weights, per_epoch.weights[best], strict=True):
        np.testing.assert_array_equal(seen, best_weights)
    assert not all(
        np.array_equal(a, b)
        for a, b in zip(at_end.weights, per_epoch.weights[-1], strict=True)
    )


@pytest.mark.parametrize("n", [40, 5000])
def test_own_callbacks_of_a_recipe_class_warn_and_are_kept(n):
    mine = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
    with pytest.warns(UserWarning, match="EarlyStopping.*both run, the recipe's first"):
        recipe = fit_recipe(n, callbacks=(mine,))
    stops = [
        c for c in recipe["callbacks"] if isinstance(c, keras.callbacks.EarlyStopping)
    ]
    assert len(stops) == 2 and stops[-1] is mine


def test_own_callbacks_of_other_classes_do_not_warn(recwarn):
    log = keras.callbacks.History()
    assert fit_recipe(40, callbacks=[log])["callbacks"][-1] is log
    plain = [type(c) for c in fit_recipe(40)["callbacks"]]
    for none in (None, [], ()):
        assert [type(c) for c in fit_recipe(40, callbacks=none)["callbacks"]] == plain
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize(
    "callbacks, match",
    [
        (keras.callbacks.History(), "wrap it in a list"),
        (["early_stopping"], r"callbacks\[0\] of type str"),
    ],
)
def test_bad_callbacks_name_the_argument(callbacks, match):
    with pytest.raises(TypeError, match=match):
        fit_recipe(40, callbacks=callbacks)


class _Recorder(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((epoch, logs["loss"]))


@pytest.mark.parametrize("builder", ["lstm", "rocket"])
def test_own_callbacks_run_in_a_builders_fit(builder):
    # The pattern docs/models.md gives, on the models the recipe is for: the
    # builders' CheckedModel.fit passes `callbacks` on to Keras with the rest.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 12, 1)).astype("float32")
    y = np.arange(20) % 2
    if builder == "lstm":
        model = ksf.models.build_lstm_classifier(
            2, input_shape=(12, 1), units=4, conv_branch=False
        )
    else:
        model = ksf.models.build_rocket_classifier(
            2, input_shape=(12, 1), adapt_data=x, num_features=84, seed=0
        )
    mine = _Recorder()
    recipe = ksf.fit_recipe(x, model=model, max_epochs=3, callbacks=[mine])
    history = model.fit(x, y, **recipe, verbose=0)
    assert recipe["callbacks"][-1] is mine
    assert mine.epochs == list(enumerate(history.history["loss"]))
    assert len(mine.epochs) == 3
