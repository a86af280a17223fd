"""keras_seqfix: find out why a Keras sequence classifier's loss stays high, and fix it.

Every public name is importable from its subpackage and from the top level::

    import keras_seqfix as ksf

    (x_train, y_train), (x_test, y_test) = ksf.datasets.load_ucr("GunPoint")
"""

__version__ = "0.1.0.dev0"

import os as _os
import sys as _sys

if _os.path.basename((getattr(_sys, "argv", None) or [""])[0]) in (
    "keras-seqfix",
    "keras-seqfix.exe",
):
    # Only in the `keras-seqfix` command's own process, before Keras imports
    # TensorFlow: drop TensorFlow's C++ log lines from stderr (see the module).
    from keras_seqfix import _native_log_filter

    _native_log_filter.install()

# Every subpackage, then each one's public names re-exported at top level.
from keras_seqfix import (
    callbacks,
    datasets,
    diagnosis,
    imbalance,
    layers,
    models,
    tuning,  # keras_tuner is imported only when it is used
)
from keras_seqfix.callbacks import (
    GradientNormMonitor,
    LRFinderResult,
    LRRangeFinder,
    early_stopping,
    find_lr,
)
from keras_seqfix.datasets import (
    UCR_DATASETS,
    load_moving_digits,
    load_sms_spam,
    load_ucr,
)
from keras_seqfix.diagnosis import (
    CAUSE_CODES,
    DiagnosisReport,
    Finding,
    TrainingMonitor,
    diagnose,
)
from keras_seqfix.imbalance import (
    BalancedBatches,
    SequenceResampler,
    class_weights,
    sample_weights,
)
from keras_seqfix.layers import (
    AttentionPooling,
    MiniRocketFeatures,
    SequenceAugmentation,
    TemporalAugmentation,
    TimeSeriesAugmentation,
)
from keras_seqfix.models import (
    build_cnn_lstm,
    build_lstm_classifier,
    build_rocket_classifier,
    fit_recipe,
    unfreeze_backbone,
)
from keras_seqfix.tuning import tune

__all__ = [
    "__version__",
    "callbacks",
    "datasets",
    "diagnosis",
    "imbalance",
    "layers",
    "models",
    "tuning",
    "tune",
    *callbacks.__all__,
    *datasets.__all__,
    *diagnosis.__all__,
    *imbalance.__all__,
    *layers.__all__,
    *models.__all__,
]
