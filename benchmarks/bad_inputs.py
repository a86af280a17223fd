"""Bad inputs over the whole public API and the CLI, made as a user makes them.

Each case is one call a user could write by mistake (a string for a number, a
class for an instance, NaN in an array, an unknown keyword, a wrong path, a bad
CLI flag). It is scored automatically:

- clear: a `ValueError`, `TypeError` or `FileNotFoundError` raised by keras_seqfix
  code (the traceback's last frame is in the package) whose message names the
  argument (`` `name` `` or `'name'`); for the CLI, exit code 2 with a message on
  stderr that names the option or file, and no traceback;
- opaque: any other error, or one that does not name the argument;
- silent: the call was accepted;
- hang: it ran past the timeout.

State checks: for every case that takes arrays or a model, the arrays and the
model's weights and optimizer variables must be bit-identical after the refused
call. Writes `benchmarks/results/bad_inputs.json`.

    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 python benchmarks/bad_inputs.py
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

NAN, INF = math.nan, math.inf
CLEAR_TYPES = (ValueError, TypeError, FileNotFoundError)
TIMEOUT_S = 60
PACKAGE_DIR = os.sep + "keras_seqfix" + os.sep


class _Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hang()


def _bytes(value):
    import keras

    array = np.asarray(keras.ops.convert_to_numpy(value))
    return array.dtype.str, array.shape, array.tobytes()


def _state(arrays, model):
    out = [(a.dtype.str, a.shape, a.tobytes()) for a in arrays]
    if model is not None:
        variables = list(model.variables)
        if getattr(model, "optimizer", None) is not None:
            variables += list(model.optimizer.variables)
        out += [(v.path, _bytes(v)) for v in variables]
    return out


class Case:
    def __init__(self, family, case_id, name, call, arrays=(), model=None):
        self.family, self.id, self.name, self.call = family, case_id, name, call
        self.arrays, self.model = arrays, model


CASES = []


def case(family, case_id, name, arrays=(), model=None):
    """Decorator: register `fn` as the bad call `case_id` naming `name`."""

    def register(fn):
        CASES.append(Case(family, case_id, name, fn, arrays, model))
        return fn

    return register


def add(family, case_id, name, call, arrays=(), model=None):
    CASES.append(Case(family, case_id, name, call, arrays, model))


def _names(message, name):
    """Whether `message` names `name`: `name`, 'name', `name[0]...` or `name=...`."""
    return any(
        form in message for form in (f"`{name}`", f"'{name}'", f"`{name}[", f"`{name}=")
    )


def score(c):
    """`(verdict, detail, state_ok)` of one in-process case."""
    arrays = tuple(a for a in c.arrays if isinstance(a, np.ndarray))
    model = c.model() if callable(c.model) else c.model
    before = _state(arrays, model) if (arrays or model is not None) else None
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIMEOUT_S)
    try:
        c.call()
    except _Hang:
        return "hang", f"over {TIMEOUT_S} s", None
    except Exception as exc:  # noqa: BLE001  (scored, not handled)
        signal.alarm(0)
        last = traceback.extract_tb(exc.__traceback__)[-1].filename
        ours = PACKAGE_DIR in last
        message = str(exc)
        detail = f"{type(exc).__name__}: {message[:300]}"
        if not ours:
            detail += f" [raised in {last}]"
        clear = isinstance(exc, CLEAR_TYPES) and ours and _names(message, c.name)
        verdict = "clear" if clear else "opaque"
    else:
        verdict, detail = "silent", "accepted"
    finally:
        signal.alarm(0)
    if before is None:
        return verdict, detail, None
    after = _state(arrays, model)
    # Every array and variable that existed is bit-identical; a variable the call
    # created (an optimizer built by a fit that should not have run) is reported.
    kept = after[: len(before)] == before if len(after) >= len(before) else False
    if kept and len(after) > len(before):
        detail += f" [{len(after) - len(before)} variable(s) created]"
    return verdict, detail, kept


# --- fixtures: tiny data and models, built once --------------------------------


def _rng():
    return np.random.default_rng(0)


def series(n=12, steps=10, channels=2, value=None):
    x = _rng().normal(size=(n, steps, channels)).astype("float32")
    if value is not None:
        x[1, 2, 0] = value
    return x


def labels(n=12, k=2):
    return (np.arange(n) % k).astype("int64")


def ids(n=12, steps=5, vocab=50):
    return _rng().integers(1, vocab, (n, steps)).astype("int64")


_MODELS = {}


def model(kind):
    """A small compiled model, built once per kind."""
    if kind not in _MODELS:
        from keras_seqfix import models

        if kind == "tokens":
            m = models.build_lstm_classifier(2, vocab_size=50, embedding_dim=4, units=4)
        elif kind == "numeric":
            m = models.build_lstm_classifier(2, input_shape=(10, 2), units=4)
        elif kind == "video":
            m = models.build_cnn_lstm(2, input_shape=(3, 8, 8, 1), units=4)
        elif kind == "rocket":
            m = models.build_rocket_classifier(
                2, input_shape=(10, 2), adapt_data=series(), num_features=84, seed=0
            )
        elif kind == "uncompiled":
            m = models.build_lstm_classifier(
                2, input_shape=(10, 2), units=4, compile=False
            )
        _MODELS[kind] = m
    return _MODELS[kind]


def lazy(kind):
    return lambda: model(kind)


# --- layers -------------------------------------------------------------------


def layer_cases():
    from keras_seqfix.layers import (
        AttentionPooling,
        MiniRocketFeatures,
        SequenceAugmentation,
        TemporalAugmentation,
        TimeSeriesAugmentation,
    )

    f = "layers"
    for name, value in [
        ("jitter", NAN),
        ("jitter", "0.1"),
        ("jitter", -0.05),
        ("scaling", INF),
        ("scaling", [0.1, 0.2]),
        ("magnitude_warp", -1),
        ("time_warp", None),
        ("window_slice", 1.2),
        ("window_slice", 0),
        ("knots", 0),
        ("knots", "4"),
        ("seed", "42"),
    ]:
        add(
            f,
            f"TimeSeriesAugmentation({name}={value!r})",
            name,
            lambda n=name, v=value: TimeSeriesAugmentation(**{n: v}),
        )
    add(
        f,
        "TimeSeriesAugmentation(sigma=0.1)",
        "sigma",
        lambda: TimeSeriesAugmentation(sigma=0.1),
    )
    add(
        f,
        "TimeSeriesAugmentation()(strings)",
        "inputs",
        lambda: TimeSeriesAugmentation(jitter=0.1)(
            np.full((2, 5, 1), "a"), training=True
        ),
    )
    x1 = np.zeros(10, "float32")
    add(
        f,
        "TimeSeriesAugmentation on rank-1 input",
        "inputs",
        lambda: TimeSeriesAugmentation(jitter=0.1)(x1, training=True),
        arrays=(x1,),
    )

    for kwargs, name in [
        (dict(crop_length=0), "crop_length"),
        (dict(crop_length="8"), "crop_length"),
        (dict(crop_length=2.5), "crop_length"),
        (dict(max_shift=-1), "max_shift"),
        (dict(max_shift=1.5), "max_shift"),
        (dict(max_shift="2"), "max_shift"),
        (dict(frame_dropout=1.0), "frame_dropout"),
        (dict(frame_dropout=NAN), "frame_dropout"),
        (dict(frame_dropout="0.1"), "frame_dropout"),
        (dict(stride_jitter=-1), "stride_jitter"),
        (dict(stride_jitter=1, crop_length=None), "stride_jitter"),
        (dict(fill="zero"), "fill"),
        (dict(fill=None), "fill"),
        (dict(sequence_rank=0), "sequence_rank"),
        (dict(sequence_rank="2"), "sequence_rank"),
        (dict(seed="0"), "seed"),
        (dict(crop_len=8), "crop_len"),
    ]:
        add(
            f,
            f"TemporalAugmentation({kwargs})",
            name,
            lambda k=kwargs: TemporalAugmentation(**k),
        )
    x10 = series(2, 10, 1)
    add(
        f,
        "TemporalAugmentation(crop_length=20) on 10 steps",
        "crop_length",
        lambda: TemporalAugmentation(crop_length=20)(x10, training=True),
        arrays=(x10,),
    )
    add(
        f,
        "TemporalAugmentation on rank-1 input",
        "inputs",
        lambda: TemporalAugmentation(max_shift=1)(x1, training=True),
        arrays=(x1,),
    )

    for kwargs, name in [
        (dict(contrast=-0.2), "contrast"),
        (dict(contrast="0.2"), "contrast"),
        (dict(brightness=2.0), "brightness"),
        (dict(rotation=NAN), "rotation"),
        (dict(zoom=(0.1, 1.5)), "zoom"),
        (dict(translation=(0.1, 0.2, 0.3)), "translation"),
        (dict(shear=-0.1), "shear"),
        (dict(flip="diagonal"), "flip"),
        (dict(flip=True), "flip"),
        (dict(crop=(0, 4)), "crop"),
        (dict(crop=5), "crop"),
        (dict(fill_mode="mirror"), "fill_mode"),
        (dict(interpolation="cubic"), "interpolation"),
        (dict(value_range=(255, 0)), "value_range"),
        (dict(layers="flip"), "layers"),
        (dict(layers=[3]), "layers"),
        (dict(rotaton=0.1), "rotaton"),
        (dict(seed=1.5), "seed"),
    ]:
        add(
            f,
            f"SequenceAugmentation({kwargs})",
            name,
            lambda k=kwargs: SequenceAugmentation(**k),
        )
    frames4 = np.zeros((2, 8, 8, 1), "float32")
    add(
        f,
        "SequenceAugmentation on (batch, h, w, c) without the time axis",
        "inputs",
        lambda: SequenceAugmentation(flip="horizontal", seed=0)(frames4, training=True),
        arrays=(frames4,),
    )

    for kwargs, name in [
        (dict(units=0), "units"),
        (dict(units="8"), "units"),
        (dict(units=2.5), "units"),
        (dict(unit=4), "unit"),
    ]:
        add(
            f,
            f"AttentionPooling({kwargs})",
            name,
            lambda k=kwargs: AttentionPooling(**k),
        )
    xp = series(2, 5, 4)
    mask = np.ones((2, 4), bool)
    add(
        f,
        "AttentionPooling mask of the wrong length",
        "mask",
        lambda: AttentionPooling()(xp, mask=mask),
        arrays=(xp, mask),
    )
    add(
        f,
        "AttentionPooling on rank-2 input",
        "inputs",
        lambda: AttentionPooling()(np.zeros((2, 5), "float32")),
    )

    for kwargs, name in [
        (dict(num_features=10), "num_features"),
        (dict(num_features="840"), "num_features"),
        (dict(num_features=-84), "num_features"),
        (dict(max_dilations_per_kernel=0), "max_dilations_per_kernel"),
        (dict(reference_length=-5), "reference_length"),
        (dict(seed="0"), "seed"),
        (dict(n_features=840), "n_features"),
    ]:
        add(
            f,
            f"MiniRocketFeatures({kwargs})",
            name,
            lambda k=kwargs: MiniRocketFeatures(**k),
        )
    for label, data in [
        ("nan", series(value=NAN)),
        ("inf", series(value=INF)),
        ("strings", np.full((3, 10, 1), "a")),
        ("empty", np.zeros((0, 10, 1), "float32")),
        ("rank-1", np.zeros(10, "float32")),
    ]:
        add(
            f,
            f"MiniRocketFeatures.adapt({label})",
            "data",
            lambda d=data: MiniRocketFeatures(num_features=84, seed=0).adapt(d),
            arrays=(data,),
        )
    add(
        f,
        "MiniRocketFeatures.adapt(None)",
        "data",
        lambda: MiniRocketFeatures(num_features=84, seed=0).adapt(None),
    )


# --- models -------------------------------------------------------------------


def model_cases():
    from keras_seqfix.models import (
        build_cnn_lstm,
        build_lstm_classifier,
        build_rocket_classifier,
        fit_recipe,
        unfreeze_backbone,
    )

    f = "models"
    tok = dict(vocab_size=50, embedding_dim=4, units=4)
    num = dict(input_shape=(10, 2), units=4)
    for kwargs, name in [
        (dict(num_classes="2", **num), "num_classes"),
        (dict(num_classes=1, **num), "num_classes"),
        (dict(num_classes=2.0, **num), "num_classes"),
        (dict(num_classes=2, input_shape=(10, -2), units=4), "input_shape"),
        (dict(num_classes=2, input_shape="10,2", units=4), "input_shape"),
        (dict(num_classes=2, input_shape=(10, 2), vocab_size=50), "input_shape"),
        (dict(num_classes=2), "input_shape"),
        (dict(num_classes=2, vocab_size=-5), "vocab_size"),
        (dict(num_classes=2, vocab_size="50"), "vocab_size"),
        (
            dict(num_classes=2, **tok, embedding_matrix=np.zeros((40, 4))),
            "embedding_matrix",
        ),
        (dict(num_classes=2, **num, dropout=1.5), "dropout"),
        (dict(num_classes=2, **num, dropout="0.3"), "dropout"),
        (dict(num_classes=2, **num, recurrent_dropout=-0.1), "recurrent_dropout"),
        (dict(num_classes=2, **num, learning_rate=0), "learning_rate"),
        (dict(num_classes=2, **num, learning_rate="1e-3"), "learning_rate"),
        (dict(num_classes=2, **num, cell="transformer"), "cell"),
        (dict(num_classes=2, **num, labels="categorical"), "labels"),
        (dict(num_classes=2, **num, pooling="mean"), "pooling"),
        (dict(num_classes=2, **num, normalization="layer"), "normalization"),
        (dict(num_classes=2, **num, bidirectional="yes"), "bidirectional"),
        (dict(num_classes=2, **num, conv_branch="yes"), "conv_branch"),
        (dict(num_classes=2, **num, branch_dropout=2.0), "branch_dropout"),
        (dict(num_classes=2, **tok, trainable_embedding="no"), "trainable_embedding"),
        (dict(num_classes=2, **num, compile="yes"), "compile"),
        (dict(num_classes=2, **num, name=3), "name"),
        (dict(num_classes=2, input_shape=(10, 2), units=0), "units"),
        (dict(num_classes=2, input_shape=(10, 2), units=[8, "4"]), "units"),
        (dict(num_classes=2, **num, l2=-1.0), "l2"),
        (dict(num_classes=2, **num, dropuot=0.3), "dropuot"),
    ]:
        add(
            f,
            f"build_lstm_classifier({kwargs})",
            name,
            lambda k=kwargs: build_lstm_classifier(**k),
        )
    emb = np.zeros((50, 4), "float32")
    emb[3, 1] = NAN
    add(
        f,
        "build_lstm_classifier(embedding_matrix with NaN)",
        "embedding_matrix",
        lambda: build_lstm_classifier(2, embedding_matrix=emb, **tok),
        arrays=(emb,),
    )
    bad_adapt = series(value=INF)
    add(
        f,
        "build_lstm_classifier(adapt_data with inf)",
        "adapt_data",
        lambda: build_lstm_classifier(2, adapt_data=bad_adapt, **num),
        arrays=(bad_adapt,),
    )
    wrong_adapt = series(channels=3)
    add(
        f,
        "build_lstm_classifier(adapt_data of another shape)",
        "adapt_data",
        lambda: build_lstm_classifier(2, adapt_data=wrong_adapt, **num),
        arrays=(wrong_adapt,),
    )

    vid = dict(input_shape=(3, 8, 8, 1), units=4)
    for kwargs, name in [
        (dict(input_shape=(4, -16, 16, 1)), "input_shape[1] (height)"),
        (dict(input_shape=(8, 8, 1)), "input_shape"),
        (dict(**vid, backbone="resnet"), "backbone"),
        (dict(**vid, backbone=3), "backbone"),
        (dict(**vid, backbone_weights="imagenet"), "backbone_weights"),
        (dict(**vid, freeze_backbone="yes"), "freeze_backbone"),
        (dict(**vid, augmentation="flip"), "augmentation"),
        (dict(**vid, pooling="attn"), "pooling"),
        (dict(**vid, dropout=-0.5), "dropout"),
        (dict(**vid, num_frames=3), "num_frames"),
    ]:
        add(
            f,
            f"build_cnn_lstm(2, {kwargs})",
            name,
            lambda k=kwargs: build_cnn_lstm(2, **k),
        )
    add(
        f,
        "build_cnn_lstm(num_classes='3')",
        "num_classes",
        lambda: build_cnn_lstm("3", **vid),
    )

    data = series()
    for kwargs, name in [
        (dict(input_shape=(10, 2)), "adapt_data"),
        (dict(input_shape=(10, 2), adapt_data=series(value=NAN)), "adapt_data"),
        (dict(input_shape=(10, 3), adapt_data=data), "adapt_data"),
        (dict(input_shape=(10, 2), adapt_data=data, num_features="84"), "num_features"),
        (dict(input_shape=(10, 2), adapt_data=data, alphas=(-1.0, 1.0)), "alphas"),
        (dict(input_shape=(10, 2), adapt_data=data, alphas="auto"), "alphas"),
        (dict(input_shape=(10, 2), adapt_data=data, masking="on"), "masking"),
        (
            dict(input_shape=(10, 2), adapt_data=data, adapt_labels=labels(5)),
            "adapt_labels",
        ),
        (
            dict(
                input_shape=(10, 2),
                adapt_data=data,
                adapt_labels=labels().astype(float) + 0.5,
            ),
            "adapt_labels",
        ),
        (dict(input_shape=(10, 2), adapt_data=data, learning_rate=-1), "learning_rate"),
    ]:
        add(
            f,
            f"build_rocket_classifier(2, {sorted(kwargs)})",
            name,
            lambda k=kwargs: build_rocket_classifier(2, **{"num_features": 84, **k}),
            arrays=(data,),
        )

    # token ids reaching a built model
    x_tok, y_tok = ids(), labels()
    for label, x in [
        ("ids + 0.5", ids().astype("float32") + 0.5),
        ("ids beyond vocab_size", ids() + 72),
        ("negative ids", -ids()),
    ]:
        add(
            f,
            f"token model.fit({label})",
            "x",
            lambda x=x: model("tokens").fit(x, y_tok, epochs=1, verbose=0),
            arrays=(x, y_tok),
            model=lazy("tokens"),
        )
    add(
        f,
        "token model.predict(ids beyond vocab_size)",
        "x",
        lambda: model("tokens").predict(x_tok + 100, verbose=0),
        arrays=(x_tok,),
        model=lazy("tokens"),
    )

    x = series()
    for kwargs, name in [
        (dict(updates=0), "updates"),
        (dict(updates="2500"), "updates"),
        (dict(max_batch_size=-16), "max_batch_size"),
        (dict(large=0), "large"),
        (dict(max_epochs=0), "max_epochs"),
        (dict(floor_delta=-0.1), "floor_delta"),
        (dict(floor_delta="0.001"), "floor_delta"),
        (dict(callbacks="early_stopping"), "callbacks"),
        (dict(callbacks=[3]), "callbacks"),
        (dict(model="lstm"), "model"),
    ]:
        add(
            f,
            f"fit_recipe(x, {kwargs})",
            name,
            lambda k=kwargs: fit_recipe(x, **k),
            arrays=(x,),
        )
    add(f, "fit_recipe(x=None)", "x", lambda: fit_recipe(None))
    add(f, "fit_recipe(x=[])", "x", lambda: fit_recipe(np.zeros((0, 10, 2))))
    add(f, "fit_recipe(x='1000')", "x", lambda: fit_recipe("1000"))

    for kwargs, name in [
        (dict(model="cnn_lstm"), "model"),
        (dict(model=None), "model"),
        (dict(model=lazy("video"), num_layers=0), "num_layers"),
        (dict(model=lazy("video"), num_layers="2"), "num_layers"),
        (dict(model=lazy("video"), learning_rate=-1e-5), "learning_rate"),
        (dict(model=lazy("video"), learning_rate="1e-5"), "learning_rate"),
        (dict(model=lazy("numeric")), "model"),
        (dict(model=lazy("uncompiled")), "model"),
    ]:

        def call(k=kwargs):
            k = dict(k)
            m = k.pop("model")
            return unfreeze_backbone(m() if callable(m) else m, **k)

        target = kwargs["model"] if callable(kwargs["model"]) else None
        add(f, f"unfreeze_backbone({kwargs})", name, call, model=target)


# --- imbalance ----------------------------------------------------------------


class _Gen:
    def __iter__(self):
        return iter(range(3))


def imbalance_cases():
    from imblearn.over_sampling import SMOTE
    from imblearn.under_sampling import RandomUnderSampler

    from keras_seqfix.imbalance import (
        BalancedBatches,
        SequenceResampler,
        class_weights,
        sample_weights,
    )

    f = "imbalance"
    y = np.array([0] * 6 + [1] * 3 + [2] * 3)
    for label, yy, kwargs, name in [
        ("empty", np.array([], "int64"), {}, "y"),
        ("nan", np.array([0, 1, NAN]), {}, "y"),
        ("strings", np.array(["a", "b", "a"]), {}, "y"),
        ("negative", np.array([0, 1, -1]), {}, "y"),
        ("one class", np.array([1, 1, 1]), {}, "y"),
        (
            "one-hot with two 1s",
            np.array([[1, 1], [0, 1]]),
            dict(labels="one_hot"),
            "y",
        ),
        ("method", y, dict(method="inverse"), "method"),
        ("beta", y, dict(method="effective_number", beta=1.5), "beta"),
        ("num_classes str", y, dict(num_classes="3"), "num_classes"),
        ("num_classes small", y, dict(num_classes=2), "y"),
        ("labels", y, dict(labels="categorical"), "labels"),
        ("normalize", y, dict(normalize=True), "normalize"),
        ("unknown kw", y, dict(classes=[0, 1, 2]), "classes"),
    ]:
        add(
            f,
            f"class_weights({label})",
            name,
            lambda yy=yy, k=kwargs: class_weights(yy, **k),
            arrays=(yy,),
        )
    add(f, "class_weights(list of strings)", "y", lambda: class_weights(["a", "b"]))
    add(f, "class_weights(None)", "y", lambda: class_weights(None))
    for label, weights, name in [
        ("negative", {0: 1.0, 1: -2.0, 2: 1.0}, "class_weight"),
        ("nan", {0: 1.0, 1: NAN, 2: 1.0}, "class_weight"),
        ("missing class", {0: 1.0, 1: 1.0}, "class_weight"),
        ("list", [1.0, 2.0, 3.0], "class_weight"),
        ("None", None, "class_weight"),
        ("string keys", {"0": 1.0, "1": 1.0, "2": 1.0}, "class_weight"),
    ]:
        add(
            f,
            f"sample_weights({label})",
            name,
            lambda w=weights: sample_weights(y, w),
            arrays=(y,),
        )

    x = series(12, 10, 2)
    x_nan = series(12, 10, 2, value=NAN)
    for label, make, xx, yy, name in [
        ("SMOTE class", lambda: SequenceResampler(SMOTE), x, y, "sampler"),
        ("string sampler", lambda: SequenceResampler("smote"), x, y, "sampler"),
        (
            "mask_value str",
            lambda: SequenceResampler(mask_value="zero"),
            x,
            y,
            "mask_value",
        ),
        (
            "mask_value nan-list",
            lambda: SequenceResampler(mask_value=[0]),
            x,
            y,
            "mask_value",
        ),
        (
            "random_state str",
            lambda: SequenceResampler(random_state="0"),
            x,
            y,
            "random_state",
        ),
        ("SMOTE nan", lambda: SequenceResampler(SMOTE(k_neighbors=1)), x_nan, y, "X"),
        ("length mismatch", lambda: SequenceResampler(), x, y[:-2], "y"),
        ("y None", lambda: SequenceResampler(), x, None, "y"),
        ("one class", lambda: SequenceResampler(), x, np.zeros(12, "int64"), "y"),
        ("y float", lambda: SequenceResampler(), x, y + 0.5, "y"),
        (
            "X 1-d",
            lambda: SequenceResampler(RandomUnderSampler()),
            np.arange(12.0),
            y,
            "X",
        ),
        (
            "X empty",
            lambda: SequenceResampler(),
            np.zeros((0, 10, 2)),
            np.zeros(0, "int64"),
            "X",
        ),
    ]:
        arrays = tuple(a for a in (xx, yy) if isinstance(a, np.ndarray))
        add(
            f,
            f"SequenceResampler.fit_resample({label})",
            name,
            lambda m=make, a=xx, b=yy: m().fit_resample(a, b),
            arrays=arrays,
        )
    add(
        f,
        "SequenceResampler.fit_resample(generator)",
        "X",
        lambda: SequenceResampler().fit_resample((s for s in x), y),
        arrays=(x, y),
    )

    paths = np.array([f"clip_{i}.npy" for i in range(12)])
    for label, call, arrays, name in [
        (
            "batch_size 0",
            lambda: BalancedBatches(x, y, batch_size=0),
            (x, y),
            "batch_size",
        ),
        (
            "batch_size str",
            lambda: BalancedBatches(x, y, batch_size="32"),
            (x, y),
            "batch_size",
        ),
        (
            "batch_size float",
            lambda: BalancedBatches(x, y, batch_size=8.0),
            (x, y),
            "batch_size",
        ),
        (
            "strategy",
            lambda: BalancedBatches(x, y, strategy="smote"),
            (x, y),
            "strategy",
        ),
        ("length mismatch", lambda: BalancedBatches(x, y[:5]), (x, y), "y"),
        ("paths no loader", lambda: BalancedBatches(paths, y), (y,), "loader"),
        ("generator", lambda: BalancedBatches((s for s in x), y), (x, y), "x"),
        (
            "transform not callable",
            lambda: BalancedBatches(x, y, transform="flip"),
            (x, y),
            "transform",
        ),
        (
            "sample_weight length",
            lambda: BalancedBatches(x, y, sample_weight=np.ones(3)),
            (x, y),
            "sample_weight",
        ),
        (
            "shuffle str",
            lambda: BalancedBatches(x, y, shuffle="yes"),
            (x, y),
            "shuffle",
        ),
        (
            "random_state str",
            lambda: BalancedBatches(x, y, random_state="seed"),
            (x, y),
            "random_state",
        ),
        ("y nan", lambda: BalancedBatches(x, np.where(y > 1, NAN, y)), (x,), "y"),
        ("unknown kw", lambda: BalancedBatches(x, y, batchsize=8), (x, y), "batchsize"),
        ("workers", lambda: BalancedBatches(x, y, workers=-1), (x, y), "workers"),
    ]:
        add(f, f"BalancedBatches({label})", name, call, arrays=arrays)


# --- datasets -----------------------------------------------------------------


def dataset_cases():
    from keras_seqfix.datasets import load_moving_digits, load_sms_spam, load_ucr

    f = "datasets"
    for value, name in [
        ("gunpoint_v2", "name"),
        (None, "name"),
        (3, "name"),
        ("", "name"),
        ("data/GunPoint.npz", "name"),
    ]:
        add(f, f"load_ucr({value!r})", name, lambda v=value: load_ucr(v))
    add(f, "load_ucr(padded='no')", "padded", lambda: load_ucr("GunPoint", padded="no"))
    add(
        f,
        "load_ucr(return_class_names=1.5)",
        "return_class_names",
        lambda: load_ucr("GunPoint", return_class_names=1.5),
    )
    add(
        f,
        "load_ucr(split='train')",
        "split",
        lambda: load_ucr("GunPoint", split="train"),
    )
    add(
        f, "load_sms_spam('sms.csv')", "load_sms_spam", lambda: load_sms_spam("sms.csv")
    )
    for kwargs, name in [
        (dict(num_frames="8"), "num_frames"),
        (dict(num_frames=1), "num_frames"),
        (dict(num_frames=4.5), "num_frames"),
        (dict(size="16"), "size"),
        (dict(size=4), "size"),
        (dict(size=-16), "size"),
        (dict(directions="right"), "directions"),
        (dict(directions=("right", "diagonal")), "directions"),
        (dict(directions=()), "directions"),
        (dict(clips_per_image=0), "clips_per_image"),
        (dict(clips_per_image="2"), "clips_per_image"),
        (dict(test_fraction=1.5), "test_fraction"),
        (dict(test_fraction=NAN), "test_fraction"),
        (dict(test_fraction="0.25"), "test_fraction"),
        (dict(seed="0"), "seed"),
        (dict(seed=-1), "seed"),
        (dict(return_class_names="yes"), "return_class_names"),
        (dict(frames=8), "frames"),
    ]:
        add(
            f,
            f"load_moving_digits({kwargs})",
            name,
            lambda k=kwargs: load_moving_digits(**k),
        )


# --- callbacks ----------------------------------------------------------------


def callback_cases():
    from keras_seqfix.callbacks import (
        GradientNormMonitor,
        LRFinderResult,
        LRRangeFinder,
        early_stopping,
        find_lr,
    )

    f = "callbacks"
    for kwargs, name in [
        (dict(preset="fast"), "preset"),
        (dict(patience="10"), "patience"),
        (dict(patience=-1), "patience"),
        (dict(min_delta=NAN), "min_delta"),
        (dict(mode="lowest"), "mode"),
        (dict(restore_best_weights="yes"), "restore_best_weights"),
        (dict(patiense=3), "patiense"),
    ]:
        add(f, f"early_stopping({kwargs})", name, lambda k=kwargs: early_stopping(**k))
    for kwargs, name in [
        (dict(vanishing_ratio="1e-3"), "vanishing_ratio"),
        (dict(exploding_threshold=-1.0), "exploding_threshold"),
        (dict(vanishing_threshold=NAN), "vanishing_threshold"),
        (dict(per_layer="yes"), "per_layer"),
        (dict(stop_on_nonfinite=1), "stop_on_nonfinite"),
        (dict(threshold=1.0), "threshold"),
    ]:
        add(
            f,
            f"GradientNormMonitor({kwargs})",
            name,
            lambda k=kwargs: GradientNormMonitor(**k),
        )
    for kwargs, name in [
        (dict(start_lr=0), "start_lr"),
        (dict(end_lr="10"), "end_lr"),
        (dict(start_lr=1.0, end_lr=0.1), "start_lr"),
        (dict(num_steps=1), "num_steps"),
        (dict(smoothing=1.0), "smoothing"),
        (dict(diverge_factor=0.5), "diverge_factor"),
        (dict(method="steepest-ever"), "method"),
    ]:
        add(f, f"LRRangeFinder({kwargs})", name, lambda k=kwargs: LRRangeFinder(**k))
    add(
        f,
        "LRFinderResult(lrs and losses of different lengths)",
        "losses",
        lambda: LRFinderResult([1e-3, 1e-2], [1.0], [1.0]),
    )
    x, y = series(), labels()
    m = lazy("numeric")
    for kwargs, name, arrays in [
        (dict(batch_size=0), "batch_size", (x, y)),
        (dict(batch_size=-8), "batch_size", (x, y)),
        (dict(batch_size="32"), "batch_size", (x, y)),
        (dict(num_steps=1), "num_steps", (x, y)),
        (dict(verbose="yes"), "verbose", (x, y)),
        (dict(sample_weight=np.ones(3)), "sample_weight", (x, y)),
        (dict(class_weight={0: -1.0, 1: 1.0}), "class_weight", (x, y)),
    ]:
        add(
            f,
            f"find_lr({kwargs})",
            name,
            lambda k=kwargs: find_lr(model("numeric"), x, y, **k),
            arrays=arrays,
            model=m,
        )
    y_short = labels(8)
    add(
        f,
        "find_lr(len(x) != len(y))",
        "y",
        lambda: find_lr(model("numeric"), x, y_short),
        arrays=(x, y_short),
        model=m,
    )
    x_nan = series(value=NAN)
    add(
        f,
        "find_lr(NaN in x)",
        "x",
        lambda: find_lr(model("numeric"), x_nan, y),
        arrays=(x_nan, y),
        model=m,
    )
    y_big = labels() + 5
    add(
        f,
        "find_lr(labels out of range)",
        "y",
        lambda: find_lr(model("numeric"), x, y_big),
        arrays=(x, y_big),
        model=m,
    )
    y_hot = np.eye(2)[labels()]
    add(
        f,
        "find_lr(one-hot labels for a sparse loss)",
        "y",
        lambda: find_lr(model("numeric"), x, y_hot),
        arrays=(x, y_hot),
        model=m,
    )
    x_wrong = series(channels=3)
    add(
        f,
        "find_lr(x of the wrong shape)",
        "x",
        lambda: find_lr(model("numeric"), x_wrong, y),
        arrays=(x_wrong, y),
        model=m,
    )
    add(
        f,
        "find_lr(uncompiled model)",
        "model",
        lambda: find_lr(model("uncompiled"), x, y),
        arrays=(x, y),
    )
    add(
        f,
        "find_lr(model='lstm')",
        "model",
        lambda: find_lr("lstm", x, y),
        arrays=(x, y),
    )


# --- diagnosis ----------------------------------------------------------------


def diagnosis_cases():
    from keras_seqfix.diagnosis import DiagnosisReport, TrainingMonitor, diagnose

    f = "diagnosis"
    for kwargs, name in [
        (dict(divergence_factor=0.5), "divergence_factor"),
        (dict(min_delta=-0.1), "min_delta"),
        (dict(patience="5"), "patience"),
        (dict(oscillation_window=1), "oscillation_window"),
        (dict(overfit_patience=-1), "overfit_patience"),
        (dict(verbose="loud"), "verbose"),
        (dict(stop_on_divergence="yes"), "stop_on_divergence"),
        (dict(patinece=5), "patinece"),
    ]:
        add(
            f, f"TrainingMonitor({kwargs})", name, lambda k=kwargs: TrainingMonitor(**k)
        )
    for findings, name in [
        ("overfitting", "findings"),
        ([{"code": "overfitting"}], "findings"),
        (None, "findings"),
    ]:
        add(
            f,
            f"DiagnosisReport({findings!r})",
            name,
            lambda v=findings: DiagnosisReport(v),
        )
    x, y = series(), labels()
    m = lazy("numeric")
    quick = dict(probe=False, reference=False, lr_test=False, verbose=0)
    for kwargs, name in [
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size="32"), "batch_size"),
        (dict(max_samples=0), "max_samples"),
        (dict(probe_steps=-1), "probe_steps"),
        (dict(seed="0"), "seed"),
        (dict(history="history.json"), "history"),
        (dict(validation_data=(series(channels=3), labels())), "validation_data"),
        (dict(validation_data=series()), "validation_data"),
        (dict(class_weight={0: -1.0, 1: 1.0}), "class_weight"),
        (dict(sample_weight=np.ones(3)), "sample_weight"),
    ]:
        add(
            f,
            f"diagnose({kwargs})",
            name,
            lambda k=kwargs: diagnose(model("numeric"), x, y, **{**quick, **k}),
            arrays=(x, y),
            model=m,
        )
    x_wrong = series(channels=3)
    add(
        f,
        "diagnose(x that does not fit the model)",
        "x",
        lambda: diagnose(model("numeric"), x_wrong, y, **quick),
        arrays=(x_wrong, y),
        model=m,
    )
    y_short = labels(5)
    add(
        f,
        "diagnose(len(x) != len(y))",
        "y",
        lambda: diagnose(model("numeric"), x, y_short, **quick),
        arrays=(x, y_short),
        model=m,
    )
    add(
        f,
        "diagnose(model='lstm')",
        "model",
        lambda: diagnose("lstm", x, y, **quick),
        arrays=(x, y),
    )
    add(
        f,
        "diagnose(uncompiled model)",
        "model",
        lambda: diagnose(model("uncompiled"), x, y, **quick),
        arrays=(x, y),
    )


# --- tuning -------------------------------------------------------------------


def tuning_cases():
    from keras_seqfix import tuning

    f = "tuning"
    x, y = series(), labels()
    for kwargs, name in [
        (dict(kind="transformer"), "kind"),
        (dict(max_trials=0), "max_trials"),
        (dict(max_trials="10"), "max_trials"),
        (dict(time_budget=-5), "time_budget"),
        (dict(folds=1), "folds"),
        (dict(patience=-1), "patience"),
        (dict(refit="yes"), "refit"),
        (dict(epochs=0), "epochs"),
        (dict(verbose="loud"), "verbose"),
        (dict(cv_below=-1), "cv_below"),
        (dict(seed="0"), "seed"),
        (dict(callbacks="early"), "callbacks"),
        (dict(fit_kwargs=[1]), "fit_kwargs"),
        (dict(unitz=8), "unitz"),
    ]:
        add(
            f,
            f"tune({kwargs})",
            name,
            lambda k=kwargs: (
                tuning.tune(x, y, max_trials=1, verbose=0, **k)
                if "max_trials" not in k and "verbose" not in k
                else tuning.tune(x, y, **k)
            ),
            arrays=(x, y),
        )
    y_short = labels(5)
    add(
        f,
        "tune(len(x) != len(y))",
        "y",
        lambda: tuning.tune(x, y_short, verbose=0),
        arrays=(x, y_short),
    )
    x_nan = series(value=NAN)
    add(
        f,
        "tune(NaN in x)",
        "x",
        lambda: tuning.tune(x_nan, y, verbose=0),
        arrays=(x_nan, y),
    )
    needs = {
        "LSTMHyperModel": dict(input_shape=(10, 2)),
        "CNNLSTMHyperModel": dict(input_shape=(3, 8, 8, 1)),
        "RocketHyperModel": dict(input_shape=(10, 2), adapt_data=x),
    }
    for cls, fixed in needs.items():
        for kwargs, name in [
            (dict(num_classes="2"), "num_classes"),
            (dict(num_classes=2, epochs=-1), "epochs"),
            (dict(num_classes=2, labels="dense"), "labels"),
            (dict(num_classes=2, tunable="yes"), "tunable"),
            (dict(num_classes=2, unitz=4), "unitz"),
        ]:
            add(
                f,
                f"{cls}({kwargs})",
                name,
                lambda c=cls, k=kwargs, d=fixed: getattr(tuning, c)(**k, **d),
            )
        add(
            f,
            f"{cls}() without num_classes",
            "num_classes",
            lambda c=cls, d=fixed: getattr(tuning, c)(**d),
        )


# --- CLI ----------------------------------------------------------------------


def cli_cases(workdir):
    """`(id, argv, name)`: each must exit 2 with `name` in stderr, no traceback."""
    good = workdir / "good.npz"
    np.savez(good, x=series(), y=labels())
    np.savez(workdir / "no_y.npz", x=series())
    np.savez(workdir / "mismatch.npz", x=series(), y=labels(5))
    (workdir / "text.npz").write_text("not an npz")
    np.savez(workdir / "nan.npz", x=series(value=NAN), y=labels())
    return [
        (
            "missing DATA file",
            ["diagnose", str(workdir / "missing.npz")],
            "missing.npz",
        ),
        ("no y in DATA", ["diagnose", str(workdir / "no_y.npz")], "'y'"),
        ("x and y lengths", ["diagnose", str(workdir / "mismatch.npz")], "'y'"),
        ("not an npz", ["diagnose", str(workdir / "text.npz")], "text.npz"),
        ("NaN in x", ["diagnose", str(workdir / "nan.npz"), "--no-probe"], "x"),
        (
            "--batch-size -4",
            ["diagnose", str(good), "--batch-size", "-4"],
            "--batch-size",
        ),
        ("--seed abc", ["diagnose", str(good), "--seed", "abc"], "--seed"),
        (
            "missing --model",
            ["diagnose", str(good), "--model", str(workdir / "m.keras")],
            "m.keras",
        ),
        ("unknown subcommand", ["train"], "train"),
        ("unknown flag", ["diagnose", str(good), "--epochs", "3"], "--epochs"),
    ]


def score_cli(argv, name):
    exe = Path(sys.executable).with_name("keras-seqfix")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "keras_seqfix.cli"]
    try:
        done = subprocess.run(
            command + argv, capture_output=True, text=True, timeout=TIMEOUT_S * 3
        )
    except subprocess.TimeoutExpired:
        return "hang", "timeout"
    err = done.stderr
    if done.returncode in (0, 1, 3):
        return "silent", f"exit {done.returncode}"
    detail = f"exit {done.returncode}: {err.strip()[-300:]}"
    clear = done.returncode == 2 and "Traceback" not in err and name in err
    return ("clear" if clear else "opaque"), detail


# --- main ---------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI cases")
    parser.add_argument("--family", help="only this family (layers, models, ...)")
    parser.add_argument(
        "--output",
        default=str(Path(__file__).parent / "results" / "bad_inputs.json"),
    )
    args = parser.parse_args()

    import warnings

    import keras
    from _provenance import provenance

    warnings.filterwarnings("ignore")
    keras.utils.set_random_seed(0)
    for make in (
        layer_cases,
        model_cases,
        imbalance_cases,
        dataset_cases,
        callback_cases,
        diagnosis_cases,
        tuning_cases,
    ):
        make()
    start = time.perf_counter()
    results = []
    for c in CASES:
        if args.family and c.family != args.family:
            continue
        t0 = time.perf_counter()
        verdict, detail, state_ok = score(c)
        results.append(
            dict(
                family=c.family,
                case=c.id,
                argument=c.name,
                verdict=verdict,
                detail=detail,
                state_ok=state_ok,
                seconds=round(time.perf_counter() - t0, 2),
            )
        )
    if not args.no_cli and args.family in (None, "cli"):
        with tempfile.TemporaryDirectory() as tmp:
            for case_id, argv, name in cli_cases(Path(tmp)):
                t0 = time.perf_counter()
                verdict, detail = score_cli(argv, name)
                detail = detail.replace(tmp, "<tmp>")
                results.append(
                    dict(
                        family="cli",
                        case=f"keras-seqfix {case_id}",
                        argument=name,
                        verdict=verdict,
                        detail=detail,
                        state_ok=None,
                        seconds=round(time.perf_counter() - t0, 2),
                    )
                )
    counts = {v: 0 for v in ("clear", "opaque", "silent", "hang")}
    for r in results:
        counts[r["verdict"]] += 1
    checked = [r for r in results if r["state_ok"] is not None]
    lost = [r for r in checked if not r["state_ok"]]
    families = {}
    for r in results:
        fam = families.setdefault(r["family"], {v: 0 for v in counts})
        fam[r["verdict"]] += 1
    total = len(results)
    print(
        f"{total} bad inputs: {counts['clear']} clear "
        f"({100 * counts['clear'] / max(total, 1):.1f}%), {counts['opaque']} opaque, "
        f"{counts['silent']} silent, {counts['hang']} hang; state checks: "
        f"{len(checked) - len(lost)} of {len(checked)} unchanged"
    )
    for name, fam in families.items():
        print(f"  {name:10s} " + ", ".join(f"{k} {v}" for k, v in fam.items()))
    for r in results:
        if r["verdict"] != "clear" or r["state_ok"] is False:
            state = " STATE CHANGED" if r["state_ok"] is False else ""
            print(f"{r['verdict'].upper():7s} [{r['family']}] {r['case']}{state}")
            print(f"        {r['detail']}")
    out = dict(
        **provenance(),
        seconds=round(time.perf_counter() - start, 1),
        total=total,
        counts=counts,
        state_checks=len(checked),
        state_unchanged=len(checked) - len(lost),
        families=families,
        cases=results,
    )
    if not args.family:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
