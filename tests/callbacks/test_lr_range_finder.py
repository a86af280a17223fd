import keras
import numpy as np
import pytest

from keras_seqfix.callbacks import LRRangeFinder


class _FakeModel:
    def __init__(self):
        self.optimizer = keras.optimizers.SGD(0.1)
        self.stop_training = False


def _drive(finder, batch_losses, batches_per_epoch):
    """Drive the hooks with running-mean logs, as Keras 3 reports them."""
    model = _FakeModel()
    finder.set_model(model)
    finder.on_train_begin()
    step = 0
    epoch = 0
    while step < len(batch_losses) and not model.stop_training:
        finder.on_epoch_begin(epoch)
        seen = []
        for batch in range(batches_per_epoch):
            if step >= len(batch_losses) or model.stop_training:
                break
            finder.on_train_batch_begin(batch)
            seen.append(batch_losses[step])
            finder.on_train_batch_end(batch, {"loss": float(np.mean(seen))})
            step += 1
        epoch += 1
    finder.on_train_end()
    return model


def test_recovers_batch_losses_across_epoch_boundaries():
    rng = np.random.default_rng(0)
    losses = rng.uniform(0.5, 1.5, 30)
    finder = LRRangeFinder(start_lr=1e-4, end_lr=1.0, num_steps=30, diverge_factor=100)
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
    finder = LRRangeFinder(num_steps=100, smoothing=0.0, diverge_factor=4.0)
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
        ({"diverge_factor": 1.0}, "diverge_factor"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LRRangeFinder(**kwargs)
