"""The fault cases of `benchmarks/diagnose.py`: a healthy set-up with one thing broken.

Each case names the cause code `diagnose` should rank first. The data is real
(shipped UCR sets, SMS spam as token ids, moving digits); the fault is injected in
the data, the labels, the compiled model or the training history.
"""

import keras
import numpy as np
from diagnose_cases import (
    L,
    case,
    clip_model,
    compiled,
    digits,
    lstm,
    sms,
    token_lstm,
    ucr,
)

RNG = np.random.default_rng


# ------------------------------------------------------ labels, loss, activation
@case("label_int_with_categorical_loss", "label_loss_mismatch", quick=True)
def _():
    xt, yt, xv, yv = sms()
    model = token_lstm(4000, 2, lr=3e-3, loss="categorical_crossentropy")
    return model, xt, yt, {}


@case("label_onehot_with_sparse_loss", "label_loss_mismatch")
def _():
    xt, yt, _, _ = ucr("JapaneseVowels")
    y = keras.utils.to_categorical(yt, 9)
    return lstm(xt.shape[1:], 9, mask=True, lr=3e-3), xt, y, {}


@case("label_one_based_ids", "label_loss_mismatch")
def _():
    xt, yt, _, _ = ucr("BasicMotions")  # archive labels 1..K kept as they are
    return lstm(xt.shape[1:], 4, lr=3e-3), xt / 10.0, yt + 1, {}


@case("output_linear_with_probability_loss", "output_activation_mismatch", quick=True)
def _():
    xt, yt, _, _ = ucr("JapaneseVowels")
    return lstm(xt.shape[1:], 9, mask=True, activation=None), xt, yt, {}


@case("output_sigmoid_with_categorical_loss", "output_activation_mismatch")
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    y = keras.utils.to_categorical(yt, 2)
    model = lstm(xt.shape[1:], 2, activation="sigmoid", loss="categorical_crossentropy")
    return model, xt, y, {}


@case("output_softmax_with_from_logits", "output_activation_mismatch")
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return lstm(xt.shape[1:], 2, lr=3e-3, loss=loss), xt, yt, {}


# ------------------------------------------------------------------------ data
@case("nan_in_inputs", "invalid_values", quick=True)
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    x = xt.copy()
    rows = RNG(1).choice(len(x), len(x) // 10, replace=False)
    x[rows, 5:9] = np.nan
    return lstm(x.shape[1:], 2, lr=3e-3), x, yt, {}


@case("unscaled_inputs_x1000", "unscaled_inputs", quick=True)
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    return lstm(xt.shape[1:], 2, lr=3e-3), xt * 1000.0 + 500.0, yt, {}


@case("unscaled_raw_sensor_offset", "unscaled_inputs")
def _():
    xt, yt, _, _ = ucr("BasicMotions")
    return lstm(xt.shape[1:], 4, lr=3e-3), xt * 100.0 + 2000.0, yt, {}


@case("class_imbalance_dropped_class", "class_imbalance")
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    minority = np.flatnonzero(yt == 1)[:18]
    keep = np.sort(np.concatenate([np.flatnonzero(yt == 0), minority]))
    return lstm(xt.shape[1:], 2, lr=3e-3), xt[keep], yt[keep], {}


@case("conflicting_flipped_duplicates", "conflicting_labels")
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    rows = RNG(2).choice(len(xt), int(0.4 * len(xt)), replace=False)
    x = np.concatenate([xt, xt[rows]])
    y = np.concatenate([yt, 1 - yt[rows]])
    return lstm(xt.shape[1:], 2, lr=3e-3), x, y, {}


@case("validation_copied_from_train", "split_leakage")
def _():
    xt, yt, _, _ = ucr("JapaneseVowels")
    rows = RNG(3).choice(len(xt), 120, replace=False)
    kw = {"validation_data": (xt[rows], yt[rows])}
    return lstm(xt.shape[1:], 9, units=64, mask=True, lr=3e-3), xt, yt, kw


@case("sms_padding_without_mask", "padding_without_mask", quick=True)
def _():
    xt, yt, _, _ = sms(length=120)
    return token_lstm(4000, 2, mask_zero=False, lr=3e-3), xt, yt, {}


@case("vowels_padding_without_mask", "padding_without_mask")
def _():
    xt, yt, _, _ = ucr("JapaneseVowels")
    x = np.concatenate([xt, np.zeros((len(xt), 60, 12), "float32")], axis=1)
    return lstm(x.shape[1:], 9, units=64, lr=3e-3), x, yt, {}


@case("handful_of_samples", "insufficient_data")
def _():
    xt, yt, _, _ = ucr("BasicMotions")
    keep = np.concatenate([np.flatnonzero(yt == c)[:2] for c in range(4)])
    x = (xt[keep] - xt.mean((0, 1))) / xt.std((0, 1))
    return lstm(x.shape[1:], 4, lr=3e-3), x, yt[keep], {}


@case("shuffled_labels", "no_signal")
def _():
    xt, yt, xv, yv = ucr("ItalyPowerDemand", combined=True)
    y = yt[RNG(4).permutation(len(yt))]
    return lstm(xt.shape[1:], 2, lr=3e-3), xt, y, {}


@case("sms_shuffled_labels", "no_signal")
def _():
    xt, yt, _, _ = sms()
    y = yt[RNG(5).permutation(len(yt))]
    return token_lstm(4000, 2, lr=3e-3), xt, y, {"class_weight": {0: 0.57, 1: 4.0}}


# ---------------------------------------------------------------- optimisation
@case("adam_lr_3", "lr_too_high", quick=True)
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    return lstm(xt.shape[1:], 2, lr=3.0), xt, yt, {}


@case("sgd_lr_10_tokens", "lr_too_high")
def _():
    xt, yt, _, _ = sms()
    kw = {"class_weight": {0: 0.57, 1: 4.0}}
    return token_lstm(4000, 2, optimizer=keras.optimizers.SGD(10.0)), xt, yt, kw


@case("adam_lr_1e-6", "lr_too_low")
def _():
    xt, yt, _, _ = ucr("JapaneseVowels")
    return lstm(xt.shape[1:], 9, units=64, mask=True, lr=1e-6), xt, yt, {}


@case("deep_sigmoid_stack", "vanishing_gradients")
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    deep = [L.Dense(32, activation="sigmoid") for _ in range(10)]
    model = compiled(
        [L.LSTM(32), *deep], xt.shape[1:], 2, optimizer=keras.optimizers.SGD(0.01)
    )
    return model, xt, yt, {}


@case("huge_init_no_clipping", "exploding_gradients")
def _():
    xt, yt, _, _ = ucr("BasicMotions")
    init = keras.initializers.RandomNormal(stddev=1.0)
    deep = [L.Dense(64, activation="relu", kernel_initializer=init) for _ in range(4)]
    model = compiled(
        [L.Flatten(), *deep], xt.shape[1:], 4, optimizer=keras.optimizers.SGD(0.01)
    )
    return model, xt / 10.0, yt, {}


@case("one_unit_lstm_many_classes", "underfitting")
def _():
    xt, yt, xv, yv = digits()
    model = compiled(
        [L.TimeDistributed(L.GlobalAveragePooling2D()), L.LSTM(1)],
        xt.shape[1:],
        20,
        lr=3e-3,
    )
    return model, xt, yt, {"validation_data": (xv, yv)}


@case("huge_mlp_diverging_val_loss", "overfitting")
def _():
    xt, yt, xv, yv = ucr("GunPoint")
    model = compiled(
        [L.Flatten(), L.Dense(512, activation="relu"), L.Dense(512, activation="relu")],
        xt.shape[1:],
        2,
        lr=1e-3,
    )
    hist = model.fit(
        xt, yt, validation_data=(xv, yv), epochs=150, batch_size=50, verbose=0
    )
    return model, xt, yt, {"validation_data": (xv, yv), "history": hist.history}


@case("digits_large_model_long_training", "overfitting")
def _():
    xt, yt, xv, yv = digits()
    x, y = xt[:300], yt[:300]
    model = clip_model(xt.shape[1:], 20, filters=32, units=128, lr=3e-3)
    hist = model.fit(
        x, y, validation_data=(xv, yv), epochs=40, batch_size=32, verbose=0
    )
    return model, x, y, {"validation_data": (xv, yv), "history": hist.history}


@case("batchnorm_tiny_batches", "train_inference_discrepancy")
def _():
    xt, yt, _, _ = ucr("ItalyPowerDemand", combined=True)
    model = compiled(
        [L.LSTM(32), L.BatchNormalization(momentum=0.999)], xt.shape[1:], 2, lr=3e-3
    )
    model.fit(xt, yt, epochs=2, batch_size=2, verbose=0)
    return model, xt, yt, {}


@case("dropout_0_9", "train_inference_discrepancy")
def _():
    xt, yt, _, _ = ucr("JapaneseVowels")
    model = compiled(
        [L.Masking(0.0), L.LSTM(64), L.Dropout(0.9)], xt.shape[1:], 9, lr=3e-3
    )
    model.fit(xt, yt, epochs=5, batch_size=32, verbose=0)
    return model, xt, yt, {}
