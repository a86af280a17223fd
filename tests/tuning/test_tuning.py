"""keras_seqfix.tuning: the hypermodels, `tune`, its result, and keras-tuner missing."""

import os
import subprocess
import sys
import tempfile

import keras
import numpy as np
import pytest

kt = pytest.importorskip("keras_tuner")

import keras_seqfix as ksf  # noqa: E402
from keras_seqfix.tuning import (  # noqa: E402
    CNNLSTMHyperModel,
    LSTMHyperModel,
    RocketHyperModel,
    TuneResult,
)

# Small fixed parts keep each trial's fit to a second or two; the rest is searched.
SMALL = dict(units=4, bidirectional=False, pooling="last", embedding_dim=8)
LOSS = {
    "sparse": "sparse_categorical_crossentropy",
    "one_hot": "categorical_crossentropy",
}


def _tokens(n=36, length=12, vocab=20, seed=0):
    """Token ids whose class is the presence of token 3 (class 1) or 4 (class 0)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(5, vocab, size=(n, length)).astype("int32")
    y = np.arange(n) % 2
    x[:, 2] = np.where(y == 1, 3, 4)
    x[::3, -3:] = 0  # padding
    return x, y


def _series(n=30, steps=16, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.linspace(0, 1, steps)
    x = np.sin(2 * np.pi * (1 + y[:, None]) * t) + 0.3 * rng.normal(size=(n, steps))
    return x[..., None].astype("float32"), y


def _format(y, labels, num_classes=2):
    return keras.utils.to_categorical(y, num_classes) if labels == "one_hot" else y


def _hypermodel(kind, labels):
    if kind == "tokens":
        return LSTMHyperModel(2, vocab_size=20, labels=labels), _tokens()[0][:4]
    if kind == "series":
        return LSTMHyperModel(2, input_shape=(16, 1), labels=labels), _series()[0][:4]
    if kind == "frames":
        x = np.zeros((2, 3, 8, 8, 1), "float32")
        return CNNLSTMHyperModel(2, input_shape=(3, 8, 8, 1), labels=labels), x
    x, y = _series()
    hypermodel = RocketHyperModel(
        2,
        input_shape=(16, 1),
        adapt_data=x,
        adapt_labels=_format(y, labels),
        labels=labels,
        seed=0,
    )
    return hypermodel, x[:4]


def _sampled(hypermodel, seed):
    """Values drawn at random from the hypermodel's declared search space."""
    space = kt.HyperParameters()
    hypermodel.build(space)
    hp = kt.HyperParameters()
    for i, entry in enumerate(space.space):
        hp.merge([entry])
        hp.values[entry.name] = entry.random_sample(seed * 100 + i)
    return hp


@pytest.mark.parametrize("labels", ["sparse", "one_hot"])
@pytest.mark.parametrize("kind", ["tokens", "series", "frames", "rocket"])
def test_every_hypermodel_builds_sampled_values_with_the_matching_loss(kind, labels):
    hypermodel, x = _hypermodel(kind, labels)
    for seed in (1, 2) if kind == "tokens" else (1,):
        hp = _sampled(hypermodel, seed)
        model = hypermodel.build(hp)
        assert model.loss.name == LOSS[labels]
        assert tuple(model(x, training=False).shape) == (len(x), 2)
        if "units" in hp.values:  # the sampled values reach the model
            cell = (
                keras.layers.LSTM if hp.values["cell"] == "lstm" else keras.layers.GRU
            )
            recurrent = [
                layer.forward_layer if hasattr(layer, "forward_layer") else layer
                for layer in model.layers
                if isinstance(layer, keras.layers.Bidirectional | cell)
            ]
            assert recurrent[0].units == hp.values["units"]
            assert len(recurrent) == hp.values["depth"]
            assert any(
                isinstance(layer, keras.layers.Bidirectional) for layer in model.layers
            ) == bool(hp.values["bidirectional"])
        keras.backend.clear_session()


def test_default_trial_is_the_builders_default_model():
    hp = kt.HyperParameters()
    tuned = LSTMHyperModel(2, input_shape=(16, 1)).build(hp)
    plain = ksf.build_lstm_classifier(2, input_shape=(16, 1))
    assert tuned.count_params() == plain.count_params()
    assert [type(layer).__name__ for layer in tuned.layers] == [
        type(layer).__name__ for layer in plain.layers
    ]
    assert float(tuned.optimizer.learning_rate) == pytest.approx(1e-3)
    assert hp.values == {
        "units": 128,
        "depth": 1,
        "cell": "lstm",
        "bidirectional": False,
        "pooling": "last",
        "dropout": 0.3,
        "l2": 0.0,
        "learning_rate": 1e-3,
        "conv_branch": True,
    }


def test_fixed_arguments_leave_the_search_space():
    hp = kt.HyperParameters()
    model = LSTMHyperModel(2, vocab_size=20, cell="gru", units=8).build(hp)
    assert not {"cell", "units", "depth"} & set(hp.values)
    assert any(
        isinstance(layer.forward_layer, keras.layers.GRU)
        for layer in model.layers
        if isinstance(layer, keras.layers.Bidirectional)
    )


def test_unknown_or_missing_builder_arguments_are_refused():
    with pytest.raises(TypeError, match="`unit`.*Did you mean `units`"):
        LSTMHyperModel(2, vocab_size=20, unit=8)
    with pytest.raises(ValueError, match="exactly one of `vocab_size`"):
        LSTMHyperModel(2)
    with pytest.raises(ValueError, match="`labels` should be"):
        LSTMHyperModel(2, vocab_size=20, labels="onehot")
    with pytest.raises(ValueError, match="needs `adapt_data`"):
        RocketHyperModel(2, input_shape=(16, 1))


@pytest.mark.slow  # several fits, each traced anew: 50 to 150 s on 2 busy cores
def test_random_search_runs_on_our_hypermodel(tmp_path):
    x, y = _tokens()
    vx, vy = _tokens(seed=1)
    tuner = kt.RandomSearch(
        LSTMHyperModel(2, vocab_size=20, labels="one_hot", **SMALL),
        objective="val_loss",
        max_trials=2,
        seed=0,
        directory=tmp_path,
        project_name="random",
    )
    tuner.search(
        x,
        _format(y, "one_hot"),
        validation_data=(vx, _format(vy, "one_hot")),
        epochs=2,
        verbose=0,
    )
    trials = tuner.oracle.get_best_trials(2)
    assert [t.status for t in trials] == ["COMPLETED", "COMPLETED"]
    assert {"learning_rate", "dropout", "batch_size"} <= set(
        trials[0].hyperparameters.values
    )
    best = tuner.get_best_models(1)[0]
    assert best.loss.name == "categorical_crossentropy"
    assert best.predict(vx, verbose=0).shape == (len(vx), 2)


def _tune_dirs():
    return {
        name
        for name in os.listdir(tempfile.gettempdir())
        if name.startswith("keras_seqfix_tune_")
    }


@pytest.mark.slow  # several fits, each traced anew: 50 to 150 s on 2 busy cores
def test_tune_runs_two_trials_end_to_end_and_cleans_up(capsys, monkeypatch, tmp_path):
    # This test's own temporary folder: searches in the other test worker make and
    # remove theirs in the shared one meanwhile.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    made = []
    temporary_directory = tempfile.TemporaryDirectory

    def recording(*args, **kwargs):
        folder = temporary_directory(*args, **kwargs)
        made.append(folder.name)
        return folder

    monkeypatch.setattr(tempfile, "TemporaryDirectory", recording)
    x, y = _tokens()
    vx, vy = _tokens(seed=1)
    result = ksf.tune(
        x,
        y,
        validation_data=(vx, vy),
        max_trials=2,
        epochs=2,
        verbose=1,
        **SMALL,
    )
    # The search ran in a temporary folder, and the folder is gone.
    searches = [n for n in made if os.path.basename(n).startswith("keras_seqfix_tune_")]
    assert searches and not any(os.path.exists(n) for n in searches)
    assert _tune_dirs() == set()
    assert "Trial 1/2" in capsys.readouterr().out
    assert [row["trial"] for row in result.table] == [1, 2]
    assert all(row["status"] == "completed" for row in result.table)
    assert all(row["seconds"] > 0 for row in result.table)
    best_row = min(result.table, key=lambda row: row["score"])
    assert result.best_score == pytest.approx(best_row["score"])
    assert result.hyperparameters == best_row["hyperparameters"]
    assert not result.cross_validated and not result.refitted
    # The returned model is the best trial's: its validation loss is the score.
    found = result.model.evaluate(vx, vy, verbose=0, return_dict=True)
    assert found["loss"] == pytest.approx(result.best_score, rel=1e-4)
    assert result.model.loss.name == "sparse_categorical_crossentropy"


@pytest.mark.slow
def test_tune_cross_validates_tiny_sets_and_refits(tmp_path):
    from sklearn.model_selection import StratifiedKFold

    x, y = _series()
    result = ksf.tune(
        x, y, kind="rocket", max_trials=2, verbose=0, seed=0, directory=tmp_path
    )
    assert result.cross_validated and result.refitted
    first = result.table[0]
    assert first["hyperparameters"] == {"num_features": 10_000}  # defaults first
    # Its score is the mean validation loss of the three stratified folds.
    losses = []
    for train, val in StratifiedKFold(3, shuffle=True, random_state=0).split(x, y):
        model = ksf.build_rocket_classifier(
            2,
            input_shape=(16, 1),
            adapt_data=x[train],
            adapt_labels=y[train],
            seed=0,
        )
        losses.append(
            model.evaluate(x[val], y[val], verbose=0, return_dict=True)["loss"]
        )
    assert first["score"] == pytest.approx(np.mean(losses), rel=1e-4)
    # The model is refitted on every sample with the best values.
    plain = ksf.build_rocket_classifier(
        2,
        input_shape=(16, 1),
        adapt_data=x,
        adapt_labels=y,
        seed=0,
        **result.hyperparameters,
    )
    np.testing.assert_allclose(
        result.model.predict(x, verbose=0), plain.predict(x, verbose=0), atol=1e-5
    )


@pytest.mark.slow  # several fits, each traced anew: 50 to 150 s on 2 busy cores
def test_tune_cross_validation_trains_recurrent_models():
    x, y = _tokens(n=24)
    result = ksf.tune(x, y, max_trials=1, epochs=1, folds=2, verbose=0, **SMALL)
    assert result.cross_validated and result.refitted
    assert result.table[0]["score"] is not None
    assert result.model.predict(x[:3], verbose=0).shape == (3, 2)


class _InterruptOnTrain(keras.callbacks.Callback):
    """Ctrl-C at the start of the `at`-th fit (counted across copies)."""

    fits = 0

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_begin(self, logs=None):
        type(self).fits += 1
        if type(self).fits >= self.at:
            raise KeyboardInterrupt


@pytest.mark.slow  # several fits, each traced anew: 50 to 150 s on 2 busy cores
def test_interrupting_tune_returns_the_best_so_far():
    x, y = _tokens()
    vx, vy = _tokens(seed=1)
    _InterruptOnTrain.fits = 0
    with pytest.warns(UserWarning, match="interrupted"):
        result = ksf.tune(
            x,
            y,
            validation_data=(vx, vy),
            max_trials=3,
            epochs=1,
            callbacks=[_InterruptOnTrain(at=2)],
            verbose=0,
            **SMALL,
        )
    assert result.interrupted
    assert [row["status"] for row in result.table] == ["completed", "running"]
    assert result.best_score == pytest.approx(result.table[0]["score"])
    assert result.model.predict(vx, verbose=0).shape == (len(vx), 2)


def test_interrupting_the_first_trial_reraises():
    x, y = _tokens()
    _InterruptOnTrain.fits = 0
    with pytest.raises(KeyboardInterrupt):
        ksf.tune(
            x,
            y,
            validation_data=_tokens(seed=1),
            epochs=1,
            callbacks=[_InterruptOnTrain(at=1)],
            verbose=0,
            **SMALL,
        )


def test_no_trial_starts_once_the_time_budget_is_spent(capsys):
    x, y = _series()
    result = ksf.tune(x, y, kind="rocket", max_trials=3, time_budget=1e-3, verbose=1)
    assert len(result.table) == 1
    assert "Time budget spent" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "error", "match"),
    [
        (np.zeros((8, 5)), np.arange(8) % 2, {}, ValueError, "could not tell the kind"),
        (np.zeros((8, 5, 1)), np.full((8, 2), 0.5), {}, ValueError, "one-hot rows"),
        (np.zeros((8, 5, 1)), np.arange(8) % 2, {"kind": "gru"}, ValueError, "`kind`"),
        (
            np.zeros((8, 5, 1)),
            np.arange(8) % 2,
            {"max_trials": 0},
            ValueError,
            "max_trials",
        ),
        (
            np.zeros((8, 5, 1)),
            np.arange(8) % 2,
            {"time_budget": "1h"},
            TypeError,
            "time_budget",
        ),
        (np.zeros((8, 5, 1)), np.arange(7) % 2, {}, ValueError, "same number"),
    ],
)
def test_tune_refuses_bad_input(x, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        ksf.tune(x, y, verbose=0, **kwargs)


def _result():
    rows = [
        {
            "trial": i + 1,
            "hyperparameters": hp,
            "score": s,
            "seconds": 1.0,
            "status": "completed",
        }
        for i, (hp, s) in enumerate(
            [
                ({"learning_rate": 1e-4, "cell": "lstm"}, 0.9),
                ({"learning_rate": 1e-3, "cell": "gru"}, 0.5),
                ({"learning_rate": 3e-3, "cell": "lstm"}, 0.4),
                ({"learning_rate": 1e-2, "cell": "gru"}, 0.3),
            ]
        )
    ]
    return TuneResult(
        model=None,
        hyperparameters=rows[-1]["hyperparameters"],
        table=rows,
        best_score=0.3,
    )


def test_importance_ranks_the_hyperparameter_that_moves_the_score():
    importance = _result().importance()
    assert list(importance) == ["learning_rate", "cell"]
    assert importance["learning_rate"] == pytest.approx(1.0)
    assert 0.0 <= importance["cell"] < 1.0


def test_plot_shows_score_by_trial_and_by_the_most_important_value():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    fig = _result().plot()
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[1].get_ydata(), [0.9, 0.5, 0.4, 0.3])
    assert right.get_xlabel().startswith("learning_rate")
    assert right.get_xscale() == "log"


def test_a_clear_import_error_without_keras_tuner(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras_tuner", None)
    with pytest.raises(ImportError, match=r'pip install "keras-seqfix\[tune\]"'):
        ksf.tune(*_series(), verbose=0)
    for module in list(sys.modules):
        if module.startswith("keras_seqfix.tuning.") and "hypermodel" in module:
            monkeypatch.delitem(sys.modules, module)
    monkeypatch.delitem(sys.modules, "keras_seqfix.tuning._base")
    monkeypatch.delattr(ksf.tuning, "LSTMHyperModel")
    with pytest.raises(ImportError, match=r'pip install "keras-seqfix\[tune\]"'):
        ksf.tuning.LSTMHyperModel  # noqa: B018


@pytest.mark.slow
def test_import_keras_seqfix_does_not_import_keras_tuner():
    code = "import sys, keras_seqfix; print('keras_tuner' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "False"
