"""Model builders (`build_lstm_classifier`, `build_cnn_lstm`, `build_rocket_classifier`,
`unfreeze_backbone`)
and the `fit_recipe` that trains them."""

from keras_seqfix.models.cnn_lstm import build_cnn_lstm
from keras_seqfix.models.fine_tuning import unfreeze_backbone
from keras_seqfix.models.fit_recipe import fit_recipe
from keras_seqfix.models.lstm_classifier import build_lstm_classifier
from keras_seqfix.models.rocket_classifier import build_rocket_classifier

__all__ = [
    "build_cnn_lstm",
    "build_lstm_classifier",
    "build_rocket_classifier",
    "fit_recipe",
    "unfreeze_backbone",
]
