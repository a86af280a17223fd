"""What the builders' `CheckedModel` adds to a functional `keras.Model`, and its cost.

docs/models.md ("What the builders return") states these facts; each test here
keeps one of them true: the methods it overrides, the label errors a plain
`keras.Model` does not raise, and what loading a saved model needs.
"""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_seqfix as ksf
from keras_seqfix.models._checked_model import CheckedModel


def _token_model():
    # The token route with the last state holds only Keras layers: the model
    # class is all that ties its file to keras_seqfix.
    return ksf.models.build_lstm_classifier(
        3, vocab_size=20, units=4, pooling="last", bidirectional=False
    )


def _numeric_model(labels="sparse"):
    return ksf.models.build_lstm_classifier(
        3, input_shape=(10, 1), units=4, conv_branch=False, labels=labels
    )


def test_it_is_a_functional_keras_model_with_five_methods_overridden():
    model = _numeric_model()
    assert isinstance(model, keras.Model)
    plain = keras.Model(model.input, model.output, name=model.name)
    assert type(plain).__name__ == "Functional" and isinstance(model, type(plain))
    assert model.get_config() == plain.get_config()  # same graph, same file body
    # Every public method CheckedModel defines overrides a keras.Model method;
    # docs/models.md lists these five and nothing else.
    public = {name for name in vars(CheckedModel) if not name.startswith("_")}
    assert public == {"fit", "evaluate", "predict", "train_on_batch", "test_on_batch"}
    assert all(hasattr(keras.Model, name) for name in public)


# Labels that a plain keras.Model with the same loss trains on without a word.
_SILENT = {
    "fractional ids, truncated by the loss": ("sparse", np.arange(24) % 3 + 0.5),
    "rows that are not probabilities": (
        "one_hot",
        2.0 * keras.utils.to_categorical(np.arange(24) % 3, 3),
    ),
}


@pytest.mark.parametrize("case", sorted(_SILENT))
def test_checks_labels_a_plain_keras_model_trains_on_silently(case):
    labels, y = _SILENT[case]
    x = np.random.default_rng(0).normal(size=(24, 10, 1)).astype("float32")
    model = _numeric_model(labels)
    plain = keras.Model(model.inputs, model.outputs)
    plain.compile(optimizer="adam", loss=model.loss)
    history = plain.fit(x, y, epochs=1, verbose=0)  # Keras: no error
    assert np.isfinite(history.history["loss"][0])
    with pytest.raises(ValueError, match=r"`y` should hold .*labels="):
        model.fit(x, y, epochs=1, verbose=0)


def _run(code):
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_keras_file_without_import_keras_seqfix_names_the_class(tmp_path):
    model = _token_model()
    model.save(tmp_path / "checked.keras")
    # The documented way to a file any Keras loads: the same layers and weights
    # in a plain functional model.
    plain = keras.Model(model.input, model.output, name=model.name)
    plain.save(tmp_path / "plain.keras")
    out = _run(
        f"""
        import sys
        import keras
        try:
            keras.saving.load_model(
                {str(tmp_path / "checked.keras")!r}, safe_mode=True
            )
            checked = "loaded without keras_seqfix"
        except TypeError as exc:
            checked = str(exc).splitlines()[0]
        plain = keras.saving.load_model(
            {str(tmp_path / "plain.keras")!r}, safe_mode=True
        )
        assert "keras_seqfix" not in sys.modules
        print(type(plain).__name__, "|", checked)
        """
    )
    kind, message = out.split(" | ", 1)
    assert kind == "Functional"
    assert message.startswith("Could not locate class 'CheckedModel'")


def test_keras_file_with_import_keras_seqfix_keeps_the_checks(tmp_path):
    model = _token_model()
    path = tmp_path / "checked.keras"
    model.save(path)
    ids = np.random.default_rng(0).integers(1, 20, size=(6, 7))
    expected = model.predict(ids, verbose=0)
    np.save(tmp_path / "ids.npy", ids)
    np.save(tmp_path / "expected.npy", expected)
    out = _run(
        f"""
        import keras
        import numpy as np
        import keras_seqfix  # registers CheckedModel and the builders' layers

        model = keras.saving.load_model({str(path)!r}, safe_mode=True)
        ids = np.load({str(tmp_path / "ids.npy")!r})
        np.testing.assert_allclose(
            model.predict(ids, verbose=0),
            np.load({str(tmp_path / "expected.npy")!r}),
            atol=1e-6,
        )
        try:  # one-hot labels for the sparse loss it was compiled with
            model.fit(ids, keras.utils.to_categorical(ids[:, 0] % 3, 3), verbose=0)
            print("trained | on one-hot labels")
        except ValueError as exc:
            print(type(model).__name__, "|", str(exc).splitlines()[0])
        """
    )
    kind, message = out.split(" | ", 1)
    assert kind == "CheckedModel"
    assert message.startswith("`y` looks one-hot encoded")
