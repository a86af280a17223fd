"""The numeric route of `build_lstm_classifier`: LSTM-FCN for (timesteps, features).

Karim et al. 2017: a recurrent stack beside a fully convolutional branch (three
Conv1D + BatchNormalization + ReLU blocks, global average pooling), their
features concatenated. Here both see the input normalised (learned per batch,
or from `adapt_data`), padded steps are masked in the recurrent stack and
zeroed and left out of the averages in the convolutional branch.
"""

import keras
import numpy as np

from keras_seqfix.models import _common
from keras_seqfix.models._layers import ApplyMask, PaddingMask

#: LSTM-FCN's convolutional branch (Karim et al. 2017): (filters, kernel size).
_FCN_BLOCKS = ((128, 8), (256, 5), (128, 3))
#: Keras' default 0.99 needs ~500 updates to forget the initial moving statistics;
#: a 50-series UCR set gives 3-4 updates an epoch, so inference would use stale
#: statistics for most of training. 0.9 converges within a few epochs.
_BN_MOMENTUM = 0.9
# LSTM-FCN's dropout on the LSTM features (Karim et al. 2017, and their
# multivariate MLSTM-FCN, 2019): beside the convolutional features the
# recurrent ones memorise a small training set unless most are dropped.
_BRANCH_DROPOUT = 0.8


def numeric_branches(
    input_shape,
    *,
    conv_branch,
    branch_dropout,
    normalization,
    adapt_data,
    stack,
    kernel_regularizer,
):
    """The input, and the recurrent (and convolutional) features of a series."""
    if isinstance(input_shape, np.ndarray):
        input_shape = tuple(input_shape.tolist())
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 2:
        hint = "For image sequences use build_cnn_lstm."
        if isinstance(input_shape, tuple | list) and len(input_shape) == 1:
            hint = (
                "A univariate series has one feature: pass "
                f"input_shape=({input_shape[0]!r}, 1) and x of shape (n, "
                f"{input_shape[0]!r}, 1) (`x[..., None]`)."
            )
        raise ValueError(
            "`input_shape` should be (timesteps, features) for a numeric series, "
            f"timesteps may be None. Received: input_shape={input_shape!r}. {hint}"
        )
    timesteps, features = input_shape
    if timesteps is not None:
        _common.check_int("input_shape[0] (timesteps)", timesteps, minimum=1)
    _common.check_int("input_shape[1] (features)", features, minimum=1)
    inputs = keras.Input(shape=(timesteps, features), name="series")
    mask = PaddingMask(name="padding_mask")(inputs)
    x = _normalize(inputs, mask, normalization, adapt_data, features)
    x = ApplyMask(name="zero_padding")([x, mask])
    branches = [_common.recurrent_stack(x, mask=mask, **stack)]
    if conv_branch:
        rate = _BRANCH_DROPOUT if branch_dropout is None else branch_dropout
        if rate:
            branches[0] = keras.layers.Dropout(rate, name="recurrent_branch_dropout")(
                branches[0]
            )
        h = x
        for i, (filters, kernel) in enumerate(_FCN_BLOCKS):
            h = keras.layers.Conv1D(
                filters,
                kernel,
                padding="same",
                kernel_initializer="he_uniform",
                kernel_regularizer=kernel_regularizer,
                name=f"conv_{i}",
            )(h)
            h = keras.layers.BatchNormalization(momentum=_BN_MOMENTUM, name=f"bn_{i}")(
                h, mask=mask
            )
            h = keras.layers.Activation("relu", name=f"relu_{i}")(h)
            # Conv1D ignores masks: zero the padding so it never leaks into the
            # next convolution, and average over real steps only.
            h = ApplyMask(name=f"zero_padding_{i}")([h, mask])
        branches.append(
            keras.layers.GlobalAveragePooling1D(name="conv_pooling")(h, mask=mask)
        )
    if len(branches) == 1:
        return inputs, branches[0]
    return inputs, keras.layers.Concatenate(name="concat_branches")(branches)


def _normalize(inputs, mask, normalization, adapt_data, features):
    if normalization == "auto":
        normalization = "batch" if adapt_data is None else "adapt"
    if normalization not in ("adapt", "batch", None):
        raise ValueError(
            "`normalization` should be 'auto', 'adapt', 'batch' or None. "
            f"Received: normalization={normalization!r}"
        )
    if normalization is None:
        return inputs
    if normalization == "batch":
        if features == 1 and mask is not None:
            # Keras's masked BatchNormalization squeezes its moments without an
            # axis, so a single channel loses it (IndexError on JAX): normalise
            # two copies of the channel, each with the same statistics, and keep
            # the first.
            pair = keras.layers.Concatenate(name="input_channel_pair")([inputs, inputs])
            normalized = keras.layers.BatchNormalization(
                momentum=_BN_MOMENTUM, name="input_normalization"
            )(pair, mask=mask)
            return normalized[..., :1]
        return keras.layers.BatchNormalization(
            momentum=_BN_MOMENTUM, name="input_normalization"
        )(inputs, mask=mask)
    if adapt_data is None:
        raise ValueError(
            "`normalization='adapt'` needs `adapt_data`, the training inputs. "
            "Received: adapt_data=None"
        )
    data = np.asarray(adapt_data, dtype="float64")
    if data.ndim != 3 or data.shape[-1] != features:
        raise ValueError(
            f"`adapt_data` should be an array (n, timesteps, {features}). "
            f"Received: shape {data.shape}"
        )
    valid = keras.ops.convert_to_numpy(PaddingMask()(data.astype("float32")))
    steps = data[valid]
    mean, variance = steps.mean(axis=0), steps.var(axis=0)
    return keras.layers.Normalization(
        axis=-1,
        mean=mean.tolist(),
        variance=variance.tolist(),
        name="input_normalization",
    )(inputs)
