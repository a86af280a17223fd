"""UCR/UEA time-series classification sets, shipped as compressed NumPy files."""

import difflib

import numpy as np

from keras_seqfix._validation import checked_signature, validate_params
from keras_seqfix.datasets._files import data_path
from keras_seqfix.datasets._result import LoadedSplits, with_class_names

UCR_DATASETS = (
    "GunPoint",
    "ArrowHead",
    "ItalyPowerDemand",
    "BasicMotions",
    "JapaneseVowels",
)
"""The names of the UCR/UEA sets shipped with the package, as `load_ucr` accepts them.

Examples:

    >>> import keras_seqfix as ksf
    >>> ksf.datasets.UCR_DATASETS
    ('GunPoint', 'ArrowHead', 'ItalyPowerDemand', 'BasicMotions', 'JapaneseVowels')
"""


@checked_signature
def load_ucr(name, *, padded=True, return_class_names=None):
    """Load a UCR/UEA set with the archive's own train/test split.

    The series come from the original `.ts` files of the UCR/UEA archive (as
    redistributed in the `aeon` wheel); `scripts/build_datasets.py` regenerates and
    verifies the shipped files. Class ids follow the order of the archive's
    `@classLabel` line.

    Args:
        name (str): one of `"GunPoint"`, `"ArrowHead"`, `"ItalyPowerDemand"`,
            `"BasicMotions"`, `"JapaneseVowels"` (case-insensitive).
        padded (bool): if `True`, `x` is one float32 array `(n, timesteps, channels)`.
            `JapaneseVowels` has series of 7 to 29 steps: they are padded at the end
            with zeros to 29 steps, so that `keras.layers.Masking(mask_value=0.0)`
            (or `build_lstm_classifier`, which masks for you) skips the padding. If
            `False`, `x` is a list of float32 arrays `(length_i, channels)`, unpadded.
            Defaults to `True`.
        return_class_names (bool or None): deprecated, use the result's `class_names`.
            `True` returns `(train, test, class_names)` in this release, with a
            `DeprecationWarning`.

    Returns:
        (tuple): `((x_train, y_train), (x_test, y_test))` like `keras.datasets`, with
            `y` int64 class ids `0..K-1`. The result also has `class_names`, the
            archive's class names as a list indexed by class id.

    Raises:
        ValueError: if `name` is not one of the shipped sets.
        TypeError: if `name` is not a string, or `padded` or
            `return_class_names` not a bool.

    Examples:
        >>> import keras_seqfix as ksf
        >>> (x_train, y_train), (x_test, y_test) = ksf.datasets.load_ucr("GunPoint")
        >>> x_train.shape, x_test.shape, sorted(set(y_train.tolist()))
        ((50, 150, 1), (150, 150, 1), [0, 1])
        >>> ksf.datasets.load_ucr("GunPoint").class_names
        ['1', '2']
    """
    canonical = {n.lower(): n for n in UCR_DATASETS}
    validate_params(
        {
            "name": [str],
            "padded": [bool],
            "return_class_names": [bool, None],
        },
        {"name": name, "padded": padded, "return_class_names": return_class_names},
        examples={"name": "GunPoint", "padded": True, "return_class_names": True},
    )
    if name.lower() not in canonical:
        close = difflib.get_close_matches(name.lower(), list(canonical), n=1)
        guess = f" Did you mean {canonical[close[0]]!r}?" if close else ""
        raise ValueError(
            f"`name` should be one of the shipped UCR/UEA sets {list(UCR_DATASETS)} "
            f"(case-insensitive). Received: name={name!r}.{guess} Other sets of the "
            "archive are not shipped: load them with aeon or sktime."
        )
    name = canonical[name.lower()]
    with data_path(f"ucr_{name}.npz").open("rb") as f, np.load(f) as data:
        arrays = {key: data[key] for key in data.files}
    splits = []
    for key in ("train", "test"):
        x = arrays[f"x_{key}"].astype(np.float32, copy=False)
        y = arrays[f"y_{key}"].astype(np.int64)
        if not padded:
            x = [
                x[i, :length].copy()
                for i, length in enumerate(arrays[f"lengths_{key}"])
            ]
        splits.append((x, y))
    names = [str(c) for c in arrays["class_names"]]
    result = LoadedSplits(splits[0], splits[1], names)
    return with_class_names("load_ucr", result, return_class_names)
