"""Slow real-data check: the default numeric model learns GunPoint."""

import math

import numpy as np
import pytest

import keras_seqfix as ksf


@pytest.mark.slow
def test_default_model_learns_gunpoint():
    (x_train, y_train), (x_test, y_test) = ksf.datasets.load_ucr("GunPoint")
    model = ksf.models.build_lstm_classifier(
        2, input_shape=x_train.shape[1:], adapt_data=x_train
    )
    # The fit recipe's batching (13 + 13 + 13 + 11, not 16 + 16 + 16 + 2, whose
    # 2-series batch makes BatchNormalization's statistics noise), cut to 40 epochs.
    recipe = ksf.fit_recipe(x_train, max_epochs=40)
    assert (recipe["epochs"], recipe["batch_size"]) == (40, 13)
    history = model.fit(x_train, y_train, **recipe, verbose=0)
    losses = history.history["loss"]
    # Chance level for two classes is log 2 = 0.69; the model must get well below.
    assert min(losses) < 0.5 * math.log(2), losses
    assert np.mean(losses[-3:]) < losses[0]
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.75
