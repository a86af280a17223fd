"""Data, models and healthy controls of `benchmarks/diagnose.py` (faults: diagnose_faults).

Every case returns `(model, x, y, kwargs)`: a compiled model, the training arrays and
the keyword arguments of `diagnose` (`validation_data`, `history`, `class_weight`).
`expected` is the cause code the fault should produce, `None` for a healthy control.
The base models are well configured for their data (they train to good accuracy);
each fault case changes one thing.
"""

import functools

import keras
import numpy as np

import keras_seqfix as ksf

L = keras.layers
CASES = {}


def case(name, expected, quick=False):
    def register(fn):
        CASES[name] = {"fn": fn, "expected": expected, "quick": quick}
        return fn

    return register


# ----------------------------------------------------------------- data (cached)
@functools.cache
def ucr(name, combined=False):
    """A UCR set; `combined` pools train and test (more samples, restratified)."""
    (xt, yt), (xs, ys) = ksf.load_ucr(name)
    if not combined:
        return xt, yt, xs, ys
    x, y = np.concatenate([xt, xs]), np.concatenate([yt, ys])
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(0.7 * len(x))
    return x[:cut], y[:cut], x[cut:], y[cut:]


@functools.cache
def sms(length=40, vocab=4000):
    """SMS spam as token ids (0 = padding at the end), with `TextVectorization`."""
    (xt, yt), (xs, ys) = ksf.load_sms_spam()
    vectorize = L.TextVectorization(max_tokens=vocab, output_sequence_length=length)
    vectorize.adapt(xt.tolist())
    to_ids = lambda t: np.asarray(vectorize(np.asarray(t.tolist()))).astype("int32")  # noqa: E731
    return to_ids(xt), yt, to_ids(xs), ys


@functools.cache
def digits():
    (xt, yt), (xs, ys) = ksf.load_moving_digits()
    return xt, yt, xs, ys


# ------------------------------------------------------------- model builders
def compiled(
    layers,
    shape,
    k,
    *,
    lr=1e-3,
    loss="sparse_categorical_crossentropy",
    optimizer=None,
    activation="softmax",
    dtype="float32",
):
    model = keras.Sequential([keras.Input(shape, dtype=dtype), *layers])
    model.add(L.Dense(k, activation=activation))
    model.compile(optimizer or keras.optimizers.Adam(lr), loss, metrics=["accuracy"])
    return model


def lstm(shape, k, units=32, mask=False, **kw):
    pre = [L.Masking(0.0)] if mask else []
    return compiled([*pre, L.LSTM(units)], shape, k, **kw)


def token_lstm(vocab, k, units=32, mask_zero=True, **kw):
    return compiled(
        [L.Embedding(vocab, 32, mask_zero=mask_zero), L.LSTM(units)],
        (None,),
        k,
        dtype="int32",
        **kw,
    )


def clip_model(shape, k, filters=16, units=32, **kw):
    frame = [
        L.Conv2D(filters, 3, activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(filters * 2, 3, activation="relu"),
        L.GlobalAveragePooling2D(),
    ]
    return compiled(
        [L.TimeDistributed(keras.Sequential(frame)), L.LSTM(units)], shape, k, **kw
    )


def normalized_lstm(x, k, units=32, **kw):
    norm = L.Normalization(axis=-1)
    norm.adapt(x)
    return compiled([norm, L.LSTM(units)], x.shape[1:], k, **kw)


def k_of(*ys):
    return int(max(int(np.max(y)) for y in ys)) + 1


# ------------------------------------------------------------ healthy controls
@case("healthy_italy_lstm", None, quick=True)
def _():
    xt, yt, xv, yv = ucr("ItalyPowerDemand", combined=True)
    return lstm(xt.shape[1:], 2, lr=3e-3), xt, yt, {"validation_data": (xv, yv)}


@case("healthy_vowels_masked_lstm", None)
def _():
    xt, yt, xv, yv = ucr("JapaneseVowels")
    return (
        lstm(xt.shape[1:], 9, units=64, mask=True, lr=3e-3),
        xt,
        yt,
        {"validation_data": (xv, yv)},
    )


@case("healthy_sms_weighted", None, quick=True)
def _():
    xt, yt, xv, yv = sms()
    kw = {"validation_data": (xv, yv), "class_weight": ksf_class_weights(yt)}
    return token_lstm(4000, 2, lr=3e-3), xt, yt, kw


@case("healthy_motions_normalized", None)
def _():
    xt, yt, xv, yv = ucr("BasicMotions")
    return normalized_lstm(xt, 4, lr=3e-3), xt, yt, {"validation_data": (xv, yv)}


@case("healthy_digits_cnn_lstm", None)
def _():
    xt, yt, xv, yv = digits()
    return clip_model(xt.shape[1:], 20, lr=3e-3), xt, yt, {"validation_data": (xv, yv)}


@case("healthy_italy_trained_history", None)
def _():
    xt, yt, xv, yv = ucr("ItalyPowerDemand", combined=True)
    model = lstm(xt.shape[1:], 2, lr=3e-3)
    hist = model.fit(
        xt, yt, validation_data=(xv, yv), epochs=8, batch_size=32, verbose=0
    )
    return model, xt, yt, {"validation_data": (xv, yv), "history": hist.history}


@case("healthy_builder_tokens", None)
def _():
    xt, yt, xv, yv = sms()
    model = ksf.build_lstm_classifier(2, vocab_size=4000)
    kw = {"validation_data": (xv, yv), "class_weight": ksf_class_weights(yt)}
    return model, xt, yt, kw


@case("healthy_builder_series", None)
def _():
    xt, yt, xv, yv = ucr("JapaneseVowels")
    model = ksf.build_lstm_classifier(9, input_shape=xt.shape[1:])
    return model, xt, yt, {"validation_data": (xv, yv)}


def ksf_class_weights(y):
    if hasattr(ksf, "class_weights"):
        return ksf.class_weights(y)
    counts = np.bincount(y)  # what class_weights(method="balanced") computes
    return {i: len(y) / (len(counts) * c) for i, c in enumerate(counts)}
