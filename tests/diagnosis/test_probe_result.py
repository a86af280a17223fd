"""The probe's typed result: what it flattens into `report.measurements`."""

import math

from keras_seqfix.diagnosis._probe_result import BatchFit, LRPosition, ProbeResult


def test_an_empty_result_measures_nothing():
    # A probe that did not run leaves no number behind (no NaN, no None).
    assert ProbeResult().measurements() == {
        "probe_samples": 0,
        "holdout_samples": 0,
        "holdout_class_counts": [],
    }


def test_measurements_keep_the_report_names_and_only_what_ran():
    result = ProbeResult(
        samples=96,
        holdout_samples=24,
        loss_at_init=1.1,
        lr_position=LRPosition(diverged=True, start_loss=1.1, min_loss=0.4),
        probe_lr=3e-3,
        batch=BatchFit(rate=1e-3, start=1.1, end=0.2, completed=True, rises=0.1),
        # The second overfit started, then failed: its start only, no end.
        batch_best_lr=BatchFit(rate=3e-3, start=1.1),
        val_acc_real=0.9,
        val_acc_half=0.7,
        steps_run=48,
    )
    m = result.measurements()
    assert m["batch_start"] == 1.1 and m["batch_end"] == 0.2
    assert m["batch_nan"] is False and m["batch_rises"] == 0.1
    assert m["batch_best_lr_rate"] == 3e-3 and m["batch_best_lr_start"] == 1.1
    assert "batch_best_lr_end" not in m  # not completed: no end claimed
    assert "batch_long_end" not in m  # not extended
    assert m["lr_test_diverged"] is True and m["lr_test_min_loss"] == 0.4
    assert "lr_test_lr_at_min" not in m  # NaN: not measured
    assert math.isclose(m["learning_curve_gain"], 0.2)
    assert m["probe_steps_run"] == 48 and m["train_nan"] is False
    assert "val_acc_shuffled" not in m and "loss_training_mode" not in m


def test_batch_fit_decides_from_its_own_numbers():
    expected = math.log(3)
    assert BatchFit(start=1.1, end=0.5, completed=True).fits(expected)
    assert not BatchFit(start=1.1, end=0.9, completed=True).fits(expected)
    # Given 4x the steps it fitted: only the longer reading says so.
    slow = BatchFit(start=1.1, end=0.9, completed=True, long_end=0.3, long_steps=96)
    assert slow.fits(expected, longer=True) and not slow.fits(expected)
    assert BatchFit(start=1.1).ratio() is None  # no end: no ratio
    assert not BatchFit(start=math.nan, end=0.1).fits(expected)
