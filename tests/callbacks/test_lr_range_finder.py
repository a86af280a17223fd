import math
import warnings

import keras
import numpy as np
import pytest

from keras_seqfix.callbacks import LRRangeFinder
from keras_seqfix.callbacks.lr_range_finder import check_constant_learning_rate


class _FakeModel:
    def __init__(self, steps_per_execution=1):
        self.optimizer = keras.optimizers.SGD(0.1)
        self.stop_training = False
        self.steps_per_execution = steps_per_execution


def _drive(finder, batch_losses, batches_per_epoch, per_call=1, logs_key="loss"):
    """Drive the hooks as Keras 3 does: running-mean logs, and with
    `steps_per_execution=per_call` one call per `per_call` batches, `batch`
    jumping from the call's first batch to its last (a last, partial call still
    reports `begin + per_call - 1`)."""
    model = _FakeModel(per_call)
    finder.set_model(model)
    finder.set_params({"epochs": 100, "steps": batches_per_epoch, "verbose": 0})
    finder.on_train_begin()
    step = 0
    epoch = 0
    while step < len(batch_losses) and not model.stop_training:
        finder.on_epoch_begin(epoch)
        seen = []
        for begin in range(0, batches_per_epoch, per_call):
            if step >= len(batch_losses) or model.stop_training:
                break
            finder.on_train_batch_begin(begin)
            ran = min(per_call, batches_per_epoch - begin, len(batch_losses) - step)
            seen.extend(batch_losses[step : step + ran])
            step += ran
            logs = {logs_key: float(np.mean(seen))}
            finder.on_train_batch_end(begin + per_call - 1, logs)
        epoch += 1
    finder.on_train_end()
    return model


def test_recovers_batch_losses_across_epoch_boundaries():
    rng = np.random.default_rng(0)
    losses = rng.uniform(0.5, 1.5, 30)
    finder = LRRangeFinder(
        start_lr=1e-4, end_lr=1.0, num_steps=30, divergence_factor=100
    )
    _drive(finder, losses, batches_per_epoch=7)
    np.testing.assert_allclose(finder.raw_losses, losses, rtol=1e-6)
    np.testing.assert_allclose(finder.lrs, np.geomspace(1e-4, 1.0, 30), rtol=1e-9)


def test_smoothing_is_bias_corrected():
    finder = LRRangeFinder(num_steps=10, smoothing=0.9)
    _drive(finder, np.full(10, 2.0), batches_per_epoch=4)
    np.testing.assert_allclose(finder.losses, 2.0, rtol=1e-9)  # no start-up bias


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_stops_on_divergence_and_non_finite(bad):
    losses = np.concatenate([np.linspace(2.0, 1.0, 20), [bad] * 5])
    finder = LRRangeFinder(num_steps=50)
    model = _drive(finder, losses, batches_per_epoch=100)
    assert model.stop_training and finder.result.diverged
    assert len(finder.lrs) == 21


def test_stops_when_smoothed_exceeds_factor():
    losses = np.concatenate([np.full(10, 1.0), np.geomspace(1, 1e4, 20)])
    finder = LRRangeFinder(num_steps=100, smoothing=0.0, divergence_factor=4.0)
    _drive(finder, losses, batches_per_epoch=100)
    assert finder.result.diverged
    assert finder.losses[-1] > 4.0 and all(v <= 4.0 for v in finder.losses[:-1])


def test_restores_learning_rate_and_refuses_schedules():
    finder = LRRangeFinder(num_steps=5)
    model = _drive(finder, np.ones(5), batches_per_epoch=5)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    model.optimizer = keras.optimizers.SGD(
        keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    )
    with pytest.raises(ValueError, match="constant `learning_rate`"):
        finder.set_model(model)
        finder.on_train_begin()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, "start_lr"),
        ({"num_steps": 1}, "num_steps"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"divergence_factor": 1.0}, "divergence_factor"),
        ({"diverge_factor": 1.0}, "diverge_factor"),  # the deprecated name too
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LRRangeFinder(**kwargs)


def test_steps_per_execution_ramp_covers_start_to_end_over_num_steps():
    # steps_per_execution=4: 25 calls of 4 batches. Before, each call counted
    # as one step: 25 points from 1e-7 to only 8.7e-6.
    losses = np.random.default_rng(1).uniform(0.5, 1.5, 100)
    finder = LRRangeFinder(num_steps=100, divergence_factor=100)
    model = _drive(finder, losses, batches_per_epoch=100, per_call=4)
    assert finder.batches_run == 100 and model.stop_training
    assert len(finder.lrs) == 25
    np.testing.assert_allclose(finder.lrs[0], 1e-7)
    np.testing.assert_allclose(finder.lrs[-1], 10.0)
    assert np.all(np.diff(np.log(finder.lrs)) > 0)
    # Each point's loss is the mean over its call's 4 batches.
    np.testing.assert_allclose(finder.raw_losses, losses.reshape(25, 4).mean(1))
    assert finder.result.batches_per_point == 4


def test_steps_per_execution_smoothing_counts_each_batch():
    # A call of k batches is k observations of the average: with the k batches of
    # a call equal, the smoothed curve at the end of each call is exactly the
    # per-batch one (bias correction included, so a constant stays constant).
    rng = np.random.default_rng(2)
    losses = np.repeat(rng.uniform(0.5, 1.5, 15), 4)
    single = LRRangeFinder(num_steps=60, smoothing=0.9, divergence_factor=100)
    _drive(single, losses, batches_per_epoch=60)
    grouped = LRRangeFinder(num_steps=60, smoothing=0.9, divergence_factor=100)
    _drive(grouped, losses, batches_per_epoch=60, per_call=4)
    np.testing.assert_allclose(grouped.losses, single.losses[3::4], rtol=1e-12)
    constant = LRRangeFinder(num_steps=12, smoothing=0.9)
    _drive(constant, np.full(12, 2.0), batches_per_epoch=12, per_call=3)
    np.testing.assert_allclose(constant.losses, 2.0, rtol=1e-12)


def test_steps_per_execution_partial_last_call_of_each_epoch():
    # 10 batches per epoch at 4 per call: calls of 4, 4 and 2 batches, the last
    # reported as batch 11. The count and the recovered means stay exact.
    losses = np.random.default_rng(3).uniform(0.5, 1.5, 30)
    finder = LRRangeFinder(num_steps=30, divergence_factor=100)
    _drive(finder, losses, batches_per_epoch=10, per_call=4)
    assert finder.batches_run == 30 and len(finder.lrs) == 9
    expected = [
        losses[e * 10 + a : e * 10 + b].mean()
        for e in range(3)
        for a, b in ((0, 4), (4, 8), (8, 10))
    ]
    np.testing.assert_allclose(finder.raw_losses, expected, rtol=1e-9)
    assert finder.lrs[-1] <= 10.0


def test_num_steps_must_exceed_steps_per_execution():
    finder = LRRangeFinder(num_steps=4)
    finder.set_model(_FakeModel(steps_per_execution=4))
    with pytest.raises(ValueError, match="steps_per_execution=4"):
        finder.on_train_begin()


def test_missing_loss_in_logs_raises_and_names_the_fix():
    # A custom train_step that returns no "loss": before, all num_steps trained
    # silently at start_lr and the suggestion was nan.
    finder = LRRangeFinder(num_steps=10)
    with pytest.raises(ValueError, match=r"\['mse'\].*return `\{\"loss\""):
        _drive(finder, np.ones(10), batches_per_epoch=10, logs_key="mse")
    assert finder.lrs == []  # raised at the first batch end
    assert float(finder.model.optimizer.learning_rate) == pytest.approx(0.1)


def test_truncated_run_warns_once_with_the_rate_reached():
    finder = LRRangeFinder(start_lr=1e-4, end_lr=1.0, num_steps=100)
    with pytest.warns(UserWarning, match="ran 30 of num_steps=100") as record:
        _drive(finder, np.ones(30), batches_per_epoch=30)
    ours = [w for w in record if "range test" in str(w.message)]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert f"{finder.lr_at(29):.3g} of end_lr=1" in message
    assert "`epochs`" in message and "dataset.repeat()" in message
    assert not finder.result.diverged


def test_no_recorded_point_warns_and_suggests_nan():
    finder = LRRangeFinder(num_steps=20)
    with pytest.warns(UserWarning, match="ran 0 of num_steps=20.*no point"):
        _drive(finder, [], batches_per_epoch=20)
    assert math.isnan(finder.result.suggestion)


@pytest.mark.parametrize("batches", [20, 40])
def test_complete_or_diverged_run_does_not_warn(batches):
    losses = np.concatenate([np.ones(10), np.geomspace(1, 1e6, batches - 10)])
    finder = LRRangeFinder(num_steps=20, smoothing=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _drive(finder, losses, batches_per_epoch=batches)


def test_schedule_refused_behind_loss_scale_optimizer():
    # What `compile` makes under "mixed_float16": the wrapper's own
    # `_learning_rate` is a constant 0, the schedule sits in the inner optimizer.
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    wrapped = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(schedule))
    with pytest.raises(ValueError, match="constant `learning_rate`"):
        check_constant_learning_rate(wrapped)
    check_constant_learning_rate(
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    )


def test_diverge_factor_is_a_deprecated_name_of_divergence_factor():
    from keras_seqfix.callbacks import find_lr

    with pytest.warns(DeprecationWarning, match="divergence_factor") as caught:
        finder = LRRangeFinder(diverge_factor=7.0)
    assert caught[0].filename == __file__  # points at the caller
    assert finder.divergence_factor == 7.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert LRRangeFinder(divergence_factor=5.0).divergence_factor == 5.0
    with pytest.raises(TypeError, match="Pass only `divergence_factor`"):
        LRRangeFinder(diverge_factor=7.0, divergence_factor=5.0)
    # The warning comes before the model check.
    with (
        pytest.warns(DeprecationWarning, match="find_lr") as caught,
        pytest.raises(TypeError),
    ):
        find_lr("not a model", np.zeros((4, 2)), diverge_factor=7.0, verbose=0)
    assert caught[0].filename == __file__
