"""The same model, weights and batch give the same `GradientNormMonitor` and
`find_lr` numbers on every installed Keras backend.

Each backend runs in its own process (`KERAS_BACKEND` is read once, at import);
TensorFlow is always installed, so under the jax and torch CI runs this compares
that backend with TensorFlow. With a single backend installed the test skips.
"""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

WORKER = pathlib.Path(__file__).with_name("_same_numbers_worker.py")
BACKENDS = [
    name
    for name, module in (
        ("tensorflow", "tensorflow"),
        ("jax", "jax"),
        ("torch", "torch"),
    )
    if importlib.util.find_spec(module) is not None
]


def _run(backend, source, tmp_path):
    target = tmp_path / f"{backend}.json"
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(
        [sys.executable, str(WORKER), str(source), str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(target.read_text())


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs two Keras backends installed")
def test_monitor_and_find_lr_agree_across_backends(tmp_path):
    import keras

    sys.path.insert(0, str(WORKER.parent))
    try:
        from _same_numbers_worker import build_model
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 10, 2)).astype("float32")
    y = rng.integers(0, 3, 16)
    keras.utils.set_random_seed(0)
    weights = build_model().get_weights()
    source = tmp_path / "batch.npz"
    np.savez(
        source,
        x=x,
        y=y,
        n_weights=len(weights),
        **{f"w{i}": w for i, w in enumerate(weights)},
    )
    results = [_run(b, source, tmp_path) for b in BACKENDS]
    reference = results[0]
    assert reference["restored"]
    for other in results[1:]:
        name = other["backend"]
        assert other["restored"], name
        assert other["loss"] == pytest.approx(reference["loss"], rel=1e-5), name
        np.testing.assert_allclose(
            other["grad_sq"], reference["grad_sq"], rtol=1e-4, atol=1e-10, err_msg=name
        )
        np.testing.assert_allclose(other["lr_lrs"], reference["lr_lrs"], rtol=1e-9)
        np.testing.assert_allclose(
            other["lr_raw_losses"], reference["lr_raw_losses"], rtol=1e-3, err_msg=name
        )
        for method, value in reference["lr_suggestions"].items():
            assert other["lr_suggestions"][method] == pytest.approx(value, rel=1e-6)
        for kind in ("monitor_batches", "monitor_epochs"):
            assert other[kind].keys() == reference[kind].keys(), name
            for key, values in reference[kind].items():
                np.testing.assert_allclose(
                    other[kind][key], values, rtol=1e-3, err_msg=f"{name} {kind} {key}"
                )
        assert len(reference["monitor_batches"]["grad_norm"]) == 4
