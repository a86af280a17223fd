"""`build_rocket_classifier`: MiniRocket features, standardisation and a linear head."""

import keras
import numpy as np

from keras_seqfix._labels import check_labels
from keras_seqfix._validation import (
    Options,
    check_finite_array,
    check_param,
    checked_signature,
)
from keras_seqfix.layers.minirocket_features import MiniRocketFeatures
from keras_seqfix.models import _common
from keras_seqfix.models._layers import PaddingMask
from keras_seqfix.models._ridge_head import DEFAULT_ALPHAS, fit_ridge_head


@checked_signature
def build_rocket_classifier(
    num_classes,
    *,
    input_shape,
    adapt_data,
    adapt_labels=None,
    labels="sparse",
    num_features=10_000,
    alphas=DEFAULT_ALPHAS,
    masking="auto",
    seed=None,
    learning_rate=1e-3,
    compile=True,
    name="rocket_classifier",
):
    """Build a MiniRocket classifier: Rocket-class accuracy in seconds, in Keras.

    The model is `MiniRocketFeatures` (Dempster et al. 2021) fitted on
    `adapt_data`, a `Normalization` of the features with the statistics of
    `adapt_data`, and a softmax `Dense` layer, compiled with the loss that
    matches `labels` like the other builders.

    The head is trained one of two ways:

    - **Closed form** (give `adapt_labels`, the default in the docs): a ridge
      classifier with its regularisation chosen by leave-one-out
      cross-validation over `alphas`, as aeon's MiniRocket and the paper do,
      loaded into the `Dense` layer with a softmax temperature fitted on the
      leave-one-out scores. It takes one pass over the data (GunPoint: under
      2 CPU s with the features), so the model comes back trained: evaluate or
      predict at once. This is the default because it is both the fastest and
      the one with the published accuracy; `fit` can still continue from it.
    - **Gradient** (no `adapt_labels`): the head starts at zero and you train
      it with your own `model.fit(x, y, **ksf.fit_recipe(x, model=model))`;
      that suits sets too large for a ridge over all samples (the paper
      suggests a logistic head above ~10,000 series).

    Args:
        num_classes (int): number of classes (>= 2).
        input_shape (tuple): `(timesteps, channels)`; `timesteps` may be `None` for
            variable length.
        adapt_data (np.ndarray): training series `(n, timesteps, channels)`: they fix
            the MiniRocket biases and the feature standardisation.
        adapt_labels (np.ndarray or None): optional labels of `adapt_data` (in the
            `labels` format): solve the head in closed form. Defaults to `None`.
        labels ('"sparse" | "one_hot"'): `"sparse"` (integer ids) or `"one_hot"`.
            Defaults to `"sparse"`.
        num_features (int): MiniRocket features (a multiple of 84 is used).
            Defaults to `10_000`.
        alphas (sequence of float): the ridge regularisation grid. Defaults to
            `numpy.logspace(-3, 3, 10)`.
        masking ('bool | "auto"'): whether all-zero steps at the start or end of a
            series (padding) are masked. `"auto"` masks them when `timesteps` is `None`,
            where each batch may be padded to another length, and otherwise reads the
            series as given, padding included, as aeon's MiniRocket does: at a fixed
            length the padding is the same in training and prediction, and how much of
            it there is tells the classifier the series' length (JapaneseVowels, 5
            seeds: median 0.989 read as given, 0.984 masked). `True` always, `False`
            never. Defaults to `"auto"`.
        seed (int or None): seed of the MiniRocket draws. Defaults to `None`.
        learning_rate (float): Adam learning rate for a gradient-trained head.
            Defaults to `1e-3`.
        compile (bool): compile the model. Defaults to `True`.
        name (str): model name. Defaults to `"rocket_classifier"`.

    Returns:
        (keras.Model): A functional `keras.Model` (softmax output), compiled if
            `compile`.

    Raises:
        ValueError: for a bad value, e.g. `num_classes < 2`, an `input_shape`
            that is not `(timesteps, channels)`, `adapt_data` that does not
            match it or holds NaN, labels that do not match `labels`.
        TypeError: for an argument of the wrong type.

    Examples:
        >>> import keras_seqfix as ksf
        >>> (x_train, y_train), (x_test, y_test) = ksf.load_ucr("GunPoint")
        >>> model = ksf.build_rocket_classifier(
        ...     2, input_shape=x_train.shape[1:], adapt_data=x_train,
        ...     adapt_labels=y_train, seed=0)
        >>> model.evaluate(x_test, y_test, return_dict=True, verbose=0)["accuracy"] > 0.95
        True
    """
    _common.check_head(num_classes, labels)
    _common.check_flags(name=name, compile=compile)
    alphas = _common.check_alphas(alphas)
    timesteps, channels = _check_input_shape(input_shape)
    data = _check_adapt_data(adapt_data, timesteps, channels)
    check_param("masking", masking, [bool, Options(str, {"auto"})], example="auto")
    if adapt_labels is not None:
        check_labels(
            adapt_labels,
            num_classes=num_classes,
            labels=labels,
            argument="adapt_labels",
        )
        ids = np.asarray(adapt_labels)
        ids = ids.argmax(axis=-1) if labels == "one_hot" else ids.reshape(-1)
        if len(ids) != len(data):
            raise ValueError(
                "`adapt_labels` should hold one label per series of `adapt_data`. "
                f"Received: {len(ids)} labels for {len(data)} series"
            )

    inputs = keras.Input(shape=(timesteps, channels), name="series")
    mask, valid = None, np.ones(data.shape[:2], bool)
    if masking is True or (masking == "auto" and timesteps is None):
        mask = PaddingMask(name="padding_mask")(inputs)
        valid = keras.ops.convert_to_numpy(PaddingMask()(data))
    rocket = MiniRocketFeatures(num_features=num_features, seed=seed, name="minirocket")
    features = rocket(inputs, mask=mask)
    rocket.adapt(data, mask=valid)

    train_features = _transform(rocket, data, valid)
    mean, variance = train_features.mean(axis=0), train_features.var(axis=0)
    # A feature constant on the training set keeps scale 1 (as scikit-learn's
    # StandardScaler): Keras would divide by epsilon and blow it up on new data.
    variance[variance < 1e-12] = 1.0
    norm = keras.layers.Normalization(axis=-1, name="feature_standardization")
    standardized = norm(features)
    norm.set_weights([mean, variance, np.array(len(data))])
    norm.finalize_state()
    head = keras.layers.Dense(
        num_classes,
        activation="softmax",
        kernel_initializer="zeros",
        dtype="float32",
        name="predictions",
    )
    outputs = head(standardized)
    if adapt_labels is not None:
        z = (train_features - mean) / np.sqrt(variance)
        kernel, bias = fit_ridge_head(z, ids, num_classes, alphas)
        head.set_weights([kernel, bias])
    return _common.finish(
        inputs,
        outputs,
        name=name,
        labels=labels,
        learning_rate=learning_rate,
        compile=compile,
    )


def _transform(layer, data, valid, batch_size=256):
    """The features of `data`, in batches (a whole set at once is GBs)."""
    parts = [
        keras.ops.convert_to_numpy(
            layer(data[i : i + batch_size], mask=valid[i : i + batch_size])
        )
        for i in range(0, len(data), batch_size)
    ]
    return np.concatenate(parts).astype("float64")


def _check_input_shape(input_shape):
    if isinstance(input_shape, np.ndarray):
        input_shape = tuple(input_shape.tolist())
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 2:
        raise ValueError(
            "`input_shape` should be (timesteps, channels), timesteps may be None. "
            f"Received: input_shape={input_shape!r}. A univariate series of length "
            "T is (T, 1) (`x[..., None]`)."
        )
    timesteps, channels = input_shape
    if timesteps is not None:
        _common.check_int("input_shape[0] (timesteps)", timesteps, minimum=1)
    return timesteps, _common.check_int(
        "input_shape[1] (channels)", channels, minimum=1
    )


def _check_adapt_data(adapt_data, timesteps, channels):
    data = check_finite_array(
        "adapt_data",
        adapt_data,
        fix="The MiniRocket biases and the feature statistics would be NaN: "
        "impute or drop those series first (padding should be zeros).",
    ).astype("float32")
    if (
        data.ndim != 3
        or len(data) == 0
        or data.shape[-1] != channels
        or (timesteps is not None and data.shape[1] != timesteps)
    ):
        raise ValueError(
            f"`adapt_data` should be a non-empty array (n, {timesteps}, {channels}) "
            f"that matches `input_shape`. Received: shape {data.shape}"
        )
    if not np.all(np.isfinite(data)):  # finite float64 beyond float32's range
        raise ValueError(
            "`adapt_data` should hold finite float32 numbers. Received: values "
            "beyond float32's range (about 3.4e38). Rescale the series first."
        )
    return data
