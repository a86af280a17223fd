"""`diagnose` is never silent: bad arguments fail before any probe, a probe that
cannot run makes the report inconclusive (never healthy), and binary classifiers
with one sigmoid unit get every probe."""

import keras
import numpy as np
import pytest

import keras_seqfix as ksf
from keras_seqfix.cli import EXIT_INCONCLUSIVE, main
from keras_seqfix.diagnosis import DiagnosisReport, Finding


def _series(n=64, steps=10, features=2, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, steps, features)).astype("float32") * 0.5
    x[:, :, 0] += np.where(y == 1, 1.0, -1.0)[:, None]
    return x, y.astype("int64")


def _model(units=2, activation="softmax", loss="sparse_categorical_crossentropy"):
    model = keras.Sequential(
        [
            keras.Input((10, 2)),
            keras.layers.LSTM(4),
            keras.layers.Dense(units, activation=activation),
        ]
    )
    if loss is None:
        model.compile(keras.optimizers.Adam(1e-2))
    else:
        model.compile(keras.optimizers.Adam(1e-2), loss)
    return model


def _weights(model):
    return [np.array(v) for v in model.weights]


def test_binary_sigmoid_with_flat_labels_runs_every_probe():
    x, y = _series()
    model = _model(1, "sigmoid", "binary_crossentropy")
    report = ksf.diagnose(model, x, y, probe_steps=20, lr_test=False, verbose=0)
    assert report.missing == []
    m = report.measurements
    for key in ("loss_now", "loss_at_init", "batch_end", "val_acc_real"):
        assert np.isfinite(m[key]), key
    assert abs(m["loss_at_init"] - np.log(2)) < 0.2


def test_softmax_on_one_unit_is_named_not_a_crash():
    x, y = _series()
    model = _model(1, "softmax", "binary_crossentropy")
    report = ksf.diagnose(model, x, y, probe=False, verbose=0)
    assert report.codes[0] == "output_activation_mismatch"


def _two_outputs():
    inputs = keras.Input((10, 2))
    hidden = keras.layers.LSTM(4)(inputs)
    model = keras.Model(
        inputs,
        [
            keras.layers.Dense(2, activation="softmax")(hidden),
            keras.layers.Dense(1)(hidden),
        ],
    )
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    return model


@pytest.mark.parametrize(
    ("make_model", "kwargs", "error", "argument"),
    [
        (lambda: _model(loss=None), {}, ValueError, "loss"),
        (_model, {"batch_size": 0}, ValueError, "batch_size"),
        (_model, {"batch_size": -4}, ValueError, "batch_size"),
        (_model, {"batch_size": "32"}, ValueError, "batch_size"),
        (_model, {"batch_size": True}, ValueError, "batch_size"),
        (_model, {"max_samples": 0}, ValueError, "max_samples"),
        (_model, {"probe_steps": 2.5}, ValueError, "probe_steps"),
        (_model, {"seed": -1}, ValueError, "seed"),
        (_two_outputs, {}, ValueError, "one output"),
        (
            _model,
            {"validation_data": "val"},
            ValueError,
            "validation_data",
        ),
    ],
)
def test_bad_arguments_fail_before_any_probe_and_change_nothing(
    make_model, kwargs, error, argument
):
    x, y = _series()
    x_before, y_before = x.copy(), y.copy()
    model = make_model()
    before = _weights(model)
    with pytest.raises(error, match=argument):
        ksf.diagnose(model, x, y, verbose=0, **kwargs)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    for a, b in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("x_val_shape", "y_val_len", "expected"),
    [
        ((16, 10, 3), 16, r"takes inputs of shape"),
        ((16, 10, 2), 12, r"as many labels as samples"),
    ],
)
def test_validation_data_that_does_not_fit_names_the_expected_shape(
    x_val_shape, y_val_len, expected
):
    x, y = _series()
    x_val = np.zeros(x_val_shape, dtype="float32")
    with pytest.raises(ValueError, match=expected):
        ksf.diagnose(_model(), x, y, validation_data=(x_val, y[:y_val_len]), verbose=0)


def test_one_hot_validation_labels_for_sparse_training_labels_are_refused():
    x, y = _series()
    y_val = np.eye(2, dtype="float32")[y[:16]]
    with pytest.raises(ValueError, match="format of `y`"):
        ksf.diagnose(_model(), x, y, validation_data=(x[:16], y_val), verbose=0)


def _failing_loss(y_true, y_pred):
    raise RuntimeError("this loss cannot be computed")


def test_a_probe_that_cannot_run_makes_the_report_inconclusive_never_healthy():
    x, y = _series()
    model = _model(loss=_failing_loss)
    report = ksf.diagnose(model, x, y, probe_steps=10, verbose=0)
    assert report.inconclusive
    assert not report.healthy
    assert any("cannot be computed" in item for item in report.missing)
    text = str(report)
    assert "Inconclusive" in text or "missing" in text
    data = report.to_dict()
    assert data["inconclusive"] is True and data["healthy"] is False
    assert data["missing"] == report.missing
    assert "Missing evidence" in report.to_markdown()


def test_report_without_missing_evidence_and_without_problems_is_healthy():
    low = Finding("overfitting", "low", "slight", {}, "fix", 0.2)
    assert DiagnosisReport([low]).healthy
    inconclusive = DiagnosisReport([low], missing=["probe 'x' failed"])
    assert inconclusive.inconclusive and not inconclusive.healthy
    assert str(inconclusive).splitlines()[2].startswith("Inconclusive")


def test_report_rebuilds_findings_from_dicts_and_refuses_strings():
    finding = Finding("class_imbalance", "medium", "12:1", {"ratio": 12.0}, "fix", 0.5)
    assert DiagnosisReport([finding.to_dict()]).findings[0] == finding
    with pytest.raises(TypeError, match="findings"):
        DiagnosisReport("class_imbalance")
    with pytest.raises(TypeError, match="findings"):
        DiagnosisReport(["class_imbalance"])
    with pytest.raises(TypeError, match="keys"):
        DiagnosisReport([{"code": "class_imbalance"}])


def test_cli_exits_3_when_the_report_is_inconclusive(tmp_path, capsys, monkeypatch):
    import keras_seqfix.diagnosis as diagnosis

    x, y = _series()
    data = tmp_path / "data.npz"
    np.savez(data, x=x, y=y)

    def inconclusive(*args, **kwargs):
        return DiagnosisReport([], missing=["probe 'overfit' failed: boom"])

    monkeypatch.setattr(diagnosis, "diagnose", inconclusive)
    assert main(["diagnose", str(data), "--quiet"]) == EXIT_INCONCLUSIVE
    assert "missing: probe 'overfit' failed: boom" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["-4", "0", "many"])
def test_cli_refuses_a_batch_size_that_is_not_positive(tmp_path, capsys, value):
    x, y = _series()
    data = tmp_path / "data.npz"
    np.savez(data, x=x, y=y)
    with pytest.raises(SystemExit) as exit_info:
        main(["diagnose", str(data), "--batch-size", value])
    assert exit_info.value.code == 2
    assert "--batch-size" in capsys.readouterr().err


_SAME_CALL = """
import json, sys
import numpy as np, keras
import keras_seqfix as ksf
rng = np.random.default_rng(0)
y = np.arange(64) % 2
x = (rng.normal(size=(64, 10, 2)) * 0.5 + np.where(y == 1, 0.6, -0.6)[:, None, None])
x = x.astype("float32")
keras.utils.set_random_seed(int(sys.argv[1]))  # the caller's own seeding differs
model = keras.Sequential([keras.Input((10, 2)), keras.layers.GRU(4),
                          keras.layers.Dense(2, activation="softmax")])
model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
report = ksf.diagnose(model, x, y, probe_steps=24, verbose=0, seed=0)
print(json.dumps({"codes": report.codes,
                  "reference": report.reference["accuracy"],
                  "batch_end": round(report.measurements["batch_end"], 2)}))
"""


@pytest.mark.slow
def test_the_same_call_gives_the_same_ranking_with_one_and_two_threads(tmp_path):
    import json
    import os
    import subprocess
    import sys

    script = tmp_path / "same_call.py"
    script.write_text(_SAME_CALL)
    results = []
    for threads, outer_seed in (("1", "1"), ("2", "7")):
        env = dict(
            os.environ,
            TF_NUM_INTRAOP_THREADS=threads,
            TF_NUM_INTEROP_THREADS=threads,
            OMP_NUM_THREADS=threads,
            TF_CPP_MIN_LOG_LEVEL="3",
        )
        out = subprocess.run(
            [sys.executable, str(script), outer_seed],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert results[0] == results[1]


def test_labels_of_minus_one_and_one_in_validation_data_do_not_crash_the_probe():
    # A public question's set-up: Dense(1, "softmax"), binary_crossentropy, labels
    # -1/1 (as written), validation_data of the same kind. The probe's holdout
    # took the validation rows with label id -1 and np.bincount raised
    # "'list' argument must have no negative elements".
    x, y = _series(n=80)
    y = np.where(y == 1, 1, -1)
    model = _model(units=1, activation="softmax", loss="binary_crossentropy")
    xv, yv = _series(n=40, seed=1)
    report = ksf.diagnose(
        model,
        x,
        y,
        validation_data=(xv, np.where(yv == 1, 1, -1)),
        verbose=0,
        probe_steps=12,
        reference=False,
    )
    assert report.codes[0] == "output_activation_mismatch", str(report)
    assert not any("bincount" in m or "negative" in m for m in report.missing)
