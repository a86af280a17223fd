"""Builders, layers and callbacks under data-parallel training on 2 CPU devices.

Devices are configured before a backend starts, so each run happens in a fresh
process (`_workers.py`): `tf.distribute.MirroredStrategy` over two logical CPUs on
TensorFlow, `keras.distribution.DataParallel` over two XLA host devices on JAX.
The worker also computes the single-device numbers for the same weights and
batch, so the test checks that `GradientNormMonitor` and `find_lr` report the
global values, not one replica's.
"""

import json
import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

WORKER = pathlib.Path(__file__).with_name("_workers.py")


def _run(mode, tmp_path, **env):
    target = tmp_path / f"{mode}.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **env)
    done = subprocess.run(
        [sys.executable, str(WORKER), mode, str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(target.read_text())


def _check(out):
    assert out["devices"] == 2
    # The monitor's norm is the global batch's, which is not one replica's.
    assert out["monitor_norm"] == pytest.approx(out["reference_norm"], rel=1e-4)
    assert abs(out["one_replica_norm"] / out["reference_norm"] - 1) > 0.01
    np.testing.assert_allclose(out["lr_losses"], out["reference_lr_losses"], rtol=1e-3)
    assert len(out["lr_losses"]) >= 4
    assert out["restored"]
    assert math.isfinite(out["cnn_lstm_loss"])
    assert math.isfinite(out["lstm_classifier_loss"])
    assert out["lstm_classifier_grad_norm"] > 0
    assert all(math.isfinite(v) for v in out["series_losses"])
    # 28 vs 4 samples, oversampled to 2 x 28 = 56 per epoch in batches of 8.
    assert out["balanced_batches"] == 7
    assert len(out["balanced_losses"]) == 2
    assert all(math.isfinite(v) for v in out["balanced_losses"])


@pytest.mark.backend("tensorflow")
def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    _check(_run("mirrored", tmp_path))


@pytest.mark.backend("jax")
def test_jax_data_parallel_on_two_host_devices(tmp_path):
    flags = os.environ.get("XLA_FLAGS", "")
    out = _run(
        "jax",
        tmp_path,
        KERAS_BACKEND="jax",
        XLA_FLAGS=f"{flags} --xla_force_host_platform_device_count=2".strip(),
    )
    _check(out)
