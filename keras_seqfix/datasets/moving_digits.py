"""Moving digits: short image sequences built from scikit-learn's handwritten digits.

Each clip shows one real 8x8 digit from `sklearn.datasets.load_digits` (UCI optical
recognition of handwritten digits) sliding across a blank canvas. The label combines
the digit and the direction of motion, so a model needs both what is in the frames
and the order of the frames: a per-frame classifier cannot tell "3 moving right" from
"3 moving left", and a motion detector cannot tell 3 from 8.
"""

import numpy as np

from keras_seqfix._validation import (
    Integral,
    Interval,
    Real,
    checked_signature,
    validate_params,
)
from keras_seqfix.datasets._result import LoadedSplits, with_class_names

DIRECTIONS = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}

# Declared once (see `keras_seqfix._validation`), checked before any work.
_CONSTRAINTS = {
    "num_frames": [Interval(Integral, 2, None, closed="left")],
    "size": [Interval(Integral, 8, None, closed="left")],
    "clips_per_image": [Interval(Integral, 1, None, closed="left")],
    "test_fraction": [Interval(Real, 0, 1, closed="neither")],
    "seed": [Interval(Integral, 0, None, closed="left")],
    "return_class_names": [bool, None],
}


@checked_signature
def load_moving_digits(
    *,
    num_frames=8,
    size=16,
    directions=("right", "left"),
    clips_per_image=1,
    test_fraction=0.25,
    seed=0,
    return_class_names=None,
):
    """Generate clips of moving handwritten digits, deterministically from `seed`.

    Every digit image starts at a random position from which it can move one pixel a
    frame for `num_frames` frames without leaving the canvas, in a random direction.
    Pixel values are float32 in `[0, 1]`. The split is stratified by class and fixed
    by `seed`; the clips made from one source image all go to the same split, so the
    test set holds handwriting the model has never seen.

    Args:
        num_frames (int): frames per clip. Defaults to `8`.
        size (int): height and width of the square canvas, at least `8 + num_frames - 1`
            for a digit to travel. Defaults to `16`.
        directions (tuple of str): the directions of motion, a subset of `"right"`,
            `"left"`, `"down"`, `"up"`. Defaults to `("right", "left")`.
        clips_per_image (int): how many clips to make from each of the 1,797 digit
            images. Defaults to `1`.
        test_fraction (float): fraction of the source images whose clips form the test
            split. Defaults to `0.25`.
        seed (int): seed of the positions, directions and split. Defaults to `0`.
        return_class_names (bool or None): deprecated, use the result's `class_names`.
            `True` returns `(train, test, class_names)` in this release, with a
            `DeprecationWarning`.

    Returns:
        (tuple): `((x_train, y_train), (x_test, y_test))` with `x` of shape
            `(n, num_frames, size, size, 1)` float32 and `y` int64 class ids
            `digit * len(directions) + direction_index`. The result also has
            `class_names` (`"3 right"`, ...), a list indexed by class id.

    Raises:
        ValueError: for a canvas too small, an unknown direction or a bad fraction.

    Examples:
        >>> import keras_seqfix as ksf
        >>> (x_train, y_train), (x_test, y_test) = ksf.datasets.load_moving_digits()
        >>> x_train.shape[1:], int(y_train.max()) + 1
        ((8, 16, 16, 1), 20)
        >>> ksf.datasets.load_moving_digits().class_names[:3]
        ['0 right', '0 left', '1 right']
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    _check_arguments(
        num_frames,
        size,
        directions,
        clips_per_image,
        test_fraction,
        seed,
        return_class_names,
    )
    directions = tuple(directions)
    num_frames, size, travel = int(num_frames), int(size), int(num_frames) - 1
    clips_per_image = int(clips_per_image)
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    rng = np.random.default_rng(seed)
    n_images, n_dirs = len(images), len(directions)
    image_ids = np.repeat(np.arange(n_images), clips_per_image)
    dir_ids = rng.integers(0, n_dirs, size=len(image_ids))
    clips = np.zeros((len(image_ids), num_frames, size, size, 1), dtype=np.float32)
    span = size - 8
    for i, (img, d) in enumerate(zip(image_ids, dir_ids, strict=True)):
        dr, dc = DIRECTIONS[directions[d]]
        # Start so that the whole path stays on the canvas.
        r0 = rng.integers(max(0, -dr * travel), span - max(0, dr * travel) + 1)
        c0 = rng.integers(max(0, -dc * travel), span - max(0, dc * travel) + 1)
        for t in range(num_frames):
            r, c = r0 + dr * t, c0 + dc * t
            clips[i, t, r : r + 8, c : c + 8, 0] = images[img]
    labels = digits.target[image_ids].astype(np.int64) * n_dirs + dir_ids

    train_img, _ = train_test_split(
        np.arange(n_images),
        test_size=test_fraction,
        stratify=digits.target,
        random_state=int(rng.integers(2**31 - 1)),
    )
    in_train = np.isin(image_ids, train_img)
    names = [f"{digit} {d}" for digit in range(10) for d in directions]
    result = LoadedSplits(
        (clips[in_train], labels[in_train]),
        (clips[~in_train], labels[~in_train]),
        names,
    )
    return with_class_names("load_moving_digits", result, return_class_names)


def _check_arguments(
    num_frames, size, directions, clips_per_image, test_fraction, seed, names
):
    validate_params(
        _CONSTRAINTS,
        {
            "num_frames": num_frames,
            "size": size,
            "clips_per_image": clips_per_image,
            "test_fraction": test_fraction,
            "seed": seed,
            "return_class_names": names,
        },
        examples={"num_frames": 8, "size": 16, "test_fraction": 0.25, "seed": 0},
    )
    if isinstance(directions, str) or not isinstance(directions, list | tuple):
        raise TypeError(
            f"`directions` should be a list or tuple of names from "
            f"{sorted(DIRECTIONS)}. Received: directions={directions!r} "
            f"({type(directions).__name__}). Pass e.g. directions=("
            f"{directions!r},)" + ("." if isinstance(directions, str) else "")
        )
    unknown = [d for d in directions if d not in DIRECTIONS]
    if not directions or unknown or len(set(directions)) != len(directions):
        raise ValueError(
            "`directions` should be distinct names from "
            f"{sorted(DIRECTIONS)}. Received: directions={tuple(directions)!r}. "
            "Pass e.g. directions=('right', 'left')."
        )
    travel = num_frames - 1
    if size < 8 + travel:
        raise ValueError(
            f"`size` should be at least 8 + num_frames - 1 = {8 + travel} so the "
            f"digit can move without leaving the canvas. Received: size={size!r}, "
            f"num_frames={num_frames!r}. Pass size={8 + travel} or fewer frames."
        )
