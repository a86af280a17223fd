"""Real, small datasets shipped inside the package and loaded with no network.

* `load_ucr(name)`: five sets from the UCR/UEA time-series archive.
* `load_sms_spam()`: the imbalanced SMS spam messages (about 12% spam).
* `load_moving_digits()`: short clips of scikit-learn digits moving across a canvas.
"""

from keras_seqfix.datasets.moving_digits import load_moving_digits
from keras_seqfix.datasets.sms_spam import load_sms_spam
from keras_seqfix.datasets.ucr import UCR_DATASETS, load_ucr

__all__ = ["UCR_DATASETS", "load_moving_digits", "load_sms_spam", "load_ucr"]
