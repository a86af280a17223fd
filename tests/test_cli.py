"""`keras-seqfix diagnose` and `keras-seqfix demo`: exit codes, messages, outputs."""

import json
import os
import re
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_seqfix.cli import main


def _series(n=48, steps=12, features=2, seed=0):
    """Unit-scale series whose class is the sign of the first feature's mean."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, steps, features)).astype("float32") * 0.5
    x[:, :, 0] += np.where(y == 1, 1.0, -1.0)[:, None]
    return x, y.astype("int64")


def _model(
    path, *, loss="sparse_categorical_crossentropy", compile=True, shape=(12, 2)
):
    model = keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.LSTM(8),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    if compile:
        model.compile(keras.optimizers.Adam(1e-2), loss, metrics=["accuracy"])
    model.save(path)
    return path


def _run(capsys, *argv):
    code = main(["diagnose", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_file(tmp_path):
    x, y = _series()
    path = tmp_path / "data.npz"
    np.savez(path, x=x[:36], y=y[:36], x_val=x[36:], y_val=y[36:])
    return path


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.zeros((4, 3, 1))}, r"Missing: \['y'\]"),
        (
            {"x": np.zeros((4, 3, 1)), "y": np.zeros(4), "x_val": np.zeros((2, 3, 1))},
            "'x_val' and 'y_val' go together",
        ),
        ({"x": np.zeros((4, 3, 1)), "y": np.zeros(5)}, "same number of samples"),
        ({"x": np.zeros(4), "y": np.zeros(4)}, r"Received: x.shape=\(4,\)"),
        (
            {"x": np.zeros((4, 3, 1)), "y": np.zeros((4, 2, 2))},
            "'y' should be class ids",
        ),
        ({"x": np.array([["a", "b"]] * 4), "y": np.zeros(4)}, "should be numeric"),
        (
            {
                "x": np.zeros((4, 3, 1)),
                "y": np.zeros(4),
                "x_val": np.zeros((2, 5, 1)),
                "y_val": np.zeros(2),
            },
            "'x_val' should have the shape",
        ),
        (
            {"x": np.zeros((4, 3), dtype="int64"), "y": np.array([0, 1, -1, 0])},
            "class ids 0..K-1",
        ),
        (
            {"x": np.zeros((4, 3, 2, 2), dtype="float32"), "y": np.zeros(4)},
            r"x.shape=\(4, 3, 2, 2\)",
        ),
        (
            {"x": np.array([[[np.nan]], [[0.0]], [[1.0]]]), "y": np.zeros(3)},
            r"'x' should hold finite numbers. Received: 1 NaN/inf",
        ),
        (
            {"x": np.zeros((3, 2, 1)), "y": np.array([0.0, np.inf, 1.0])},
            r"'y' should hold finite numbers",
        ),
        (
            {
                "x": np.zeros((4, 3, 1)),
                "y": np.zeros(4),
                "x_val": np.full((2, 3, 1), np.inf),
                "y_val": np.zeros(2),
            },
            r"'x_val' should hold finite numbers",
        ),
    ],
)
def test_bad_arrays_exit_2_with_the_reason_on_stderr(tmp_path, capsys, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    code, out, err = _run(capsys, path)
    assert code == 2
    assert "keras-seqfix diagnose: error:" in err
    assert re.search(message, err), err


def test_missing_and_unreadable_files_exit_2(tmp_path, capsys, data_file):
    code, _, err = _run(capsys, tmp_path / "nope.npz")
    assert code == 2 and "DATA file not found" in err
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    code, _, err = _run(capsys, text)
    assert code == 2 and "not a readable .npz" in err
    code, _, err = _run(capsys, data_file, "--model", tmp_path / "nope.keras")
    assert code == 2 and "MODEL file not found" in err


def test_uncompiled_model_and_mismatched_shape_exit_2(tmp_path, capsys, data_file):
    uncompiled = _model(tmp_path / "raw.keras", compile=False)
    code, _, err = _run(capsys, data_file, "--model", uncompiled)
    assert code == 2 and "not compiled" in err
    other = _model(tmp_path / "other.keras", shape=(12, 5))
    code, _, err = _run(capsys, data_file, "--model", other, "--no-probe")
    assert code == 2 and "does not fit the model" in err


def test_problems_exit_1_and_the_report_is_written(tmp_path, capsys, data_file):
    # Integer labels with a one-hot loss: a label/loss mismatch, found without probing.
    model = _model(tmp_path / "m.keras", loss="categorical_crossentropy")
    md, js = tmp_path / "out" / "report.md", tmp_path / "out" / "report.json"
    code, out, _ = _run(
        capsys,
        data_file,
        "--model",
        model,
        "--no-probe",
        "--markdown",
        md,
        "--json",
        js,
    )
    assert code == 1
    assert "label_loss_mismatch" in out
    report = json.loads(js.read_text())
    assert report["healthy"] is False and report["codes"][0] == "label_loss_mismatch"
    assert "`label_loss_mismatch`" in md.read_text()


def test_healthy_data_and_model_exit_0(tmp_path, capsys, data_file):
    model = _model(tmp_path / "m.keras")
    code, out, _ = _run(capsys, data_file, "--model", model, "--no-probe", "--quiet")
    assert code == 0, out
    assert "Healthy" in out


def test_univariate_float_series_get_a_feature_axis(tmp_path, capsys):
    x, y = _series(features=1)
    path = tmp_path / "uni.npz"
    np.savez(path, x=x[..., 0], y=y)
    model = _model(tmp_path / "m.keras", shape=(12, 1))
    code, out, _ = _run(capsys, path, "--model", model, "--no-probe", "--quiet")
    assert code == 0, out
    assert "univariate series" in out


def test_default_model_follows_the_data(tmp_path, capsys):
    if not hasattr(pytest.importorskip("keras_seqfix.models"), "build_lstm_classifier"):
        pytest.skip("keras_seqfix.models has not landed yet")
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 30, size=(40, 6))
    path = tmp_path / "tokens.npz"
    np.savez(path, x=tokens, y=np.arange(40) % 2)
    code, out, _ = _run(capsys, path, "--no-probe", "--quiet")
    assert code in (0, 1), out
    assert "vocab_size=30" in out
    x, y = _series()
    path = tmp_path / "series.npz"
    np.savez(path, x=x, y=y)
    code, out, _ = _run(capsys, path, "--no-probe", "--quiet")
    assert code in (0, 1), out
    assert "input_shape=(12, 2)" in out


def test_console_script_reports_bad_input_with_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "keras_seqfix.cli", "diagnose", str(tmp_path / "x.npz")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "DATA file not found" in result.stderr


@pytest.mark.slow
def test_demo_quick_runs_and_writes_its_report(tmp_path, capsys):
    code = main(["demo", "--quick", "--output-dir", str(tmp_path), "--seed", "0"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "test accuracy" in out and "plain LSTM(64)" in out
    report = (tmp_path / "report.md").read_text()
    assert "FCN" in report and "0.84" in report
    assert "ksf.build_rocket_classifier" in report and "seconds" in report
    assert (tmp_path / "training_curves.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("line", "dropped"),
    [
        (b"I0000 00:00:1796198247.258292   25928 port.cc:153] oneDNN custom\n", True),
        (b"E0000 00:00:1796198250.115471   25928 cuda_platform.cc:52] failed\n", True),
        (b"WARNING: All log messages before absl::InitializeLog() is called\n", True),
        (b"keras-seqfix diagnose: error: DATA file not found: 'x.npz'\n", False),
        (b'  File "cli.py", line 3, in main\n', False),
        (b"UserWarning: E0000 is not a TensorFlow line here\n", False),
    ],
)
def test_native_log_filter_drops_only_tensorflow_lines(line, dropped):
    from keras_seqfix._native_log_filter import _NATIVE

    assert bool(_NATIVE.match(line)) == dropped


@pytest.mark.skipif(shutil.which("keras-seqfix") is None, reason="not installed")
def test_command_stderr_has_no_tensorflow_log_and_keeps_errors(tmp_path):
    done = subprocess.run(
        ["keras-seqfix", "diagnose", str(tmp_path / "missing.npz")],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"},
        timeout=120,
    )
    assert done.returncode == 2
    assert "DATA file not found" in done.stderr
    assert "I0000" not in done.stderr and "absl::InitializeLog" not in done.stderr


def test_version_prints_the_program_name_and_version(capsys):
    import keras_seqfix

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"keras-seqfix {keras_seqfix.__version__}\n"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("keras-seqfix") is None, reason="not installed")
def test_console_script_version_is_the_installed_distributions():
    import importlib.metadata

    done = subprocess.run(
        ["keras-seqfix", "--version"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    installed = importlib.metadata.version("keras-seqfix")
    assert done.stdout == f"keras-seqfix {installed}\n"
