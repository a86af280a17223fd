"""The reference of `diagnose`: what the data supports, measured in seconds.

A fast model that needs no tuning is fitted on the same samples: MiniRocket
features for numeric series, TF-IDF of unigrams and hashed bigrams for token
ids, a coarse grid of each frame (in frame order) for image sequences; then
ridge regression with its regularisation chosen by leave-one-out error
(scikit-learn's `RidgeClassifierCV`, as aeon's MiniRocket does). Its
leave-one-out scores are out-of-fold for free: they give held-out accuracy
without `validation_data`, and the out-of-fold probabilities that confident
learning (`cleanlab`) needs to find mislabelled samples.

Determinism: the sample, the MiniRocket biases and the solver depend on `seed`
only; ridge is a closed-form solve (no iteration order), so the figures do not
change with the thread count beyond float rounding.
"""

import math
import time

import numpy as np

from keras_seqfix.diagnosis._inputs import Context
from keras_seqfix.diagnosis._probe import finite_rows

# MiniRocket features by training-set size: the Gram matrix of the ridge solve is
# n x n, the features cost n * d; both stay within the reference's 5 s budget.
_FEATURES_SMALL, _FEATURES_LARGE, _LARGE = 10_000, 4_200, 1_000
_HASH_BUCKETS = 2**18  # hashed bigram space of the token reference
_GRID = 4  # each frame pooled to a _GRID x _GRID grid per channel


def fit_reference(ctx: Context, *, max_samples):
    """Fit the reference on `ctx`'s training samples and score it held out.

    Returns a dict (`DiagnosisReport.reference`): `name`, `accuracy`,
    `balanced_accuracy`, `chance_balanced_accuracy`, `split`, `samples`,
    `seconds`, `learning_curve_gain` (held-out accuracy gained from half the
    rows to all of them; absent when a class has fewer than 4); and, not in the
    dict, `ctx.reference_oof` (out-of-fold probabilities, rows of
    `ctx.reference_rows`) for the label-noise check.
    When the data is of a kind the reference does not cover, `accuracy` is
    `None` and `reason` says why.
    """
    from sklearn.metrics import balanced_accuracy_score

    start = time.perf_counter()
    kind = _kind(ctx.x)
    if kind is None:
        return {"accuracy": None, "reason": f"inputs of shape {ctx.x.shape[1:]}"}
    rows = _rows(ctx, max_samples)
    ids = ctx.labels.ids[rows]
    classes, targets = np.unique(ids, return_inverse=True)
    if len(classes) < 2:
        return {"accuracy": None, "reason": "fewer than two classes in the sample"}
    featurize, name = _FEATURIZERS[kind]
    features, transform = featurize(ctx.x[rows], ctx.seed)
    ridge, oof = _ridge_with_oof(features, targets)
    reference = {"name": name, "samples": len(rows)}
    if ctx.x_val is not None and ctx.val_ids is not None:
        known = np.isin(ctx.val_ids, classes) & finite_rows(ctx.x_val)
        x_val, val_ids = ctx.x_val[known], ctx.val_ids[known]
        val_features = transform(x_val)
        predicted = classes[_predict(ridge, val_features)]
        truth, split = val_ids, f"validation_data, {len(val_ids)} samples"
        full = float(np.mean(predicted == truth))
        gain = _learning_curve_gain(
            features,
            targets,
            ctx.seed,
            held_out=(val_features, np.searchsorted(classes, truth), full),
        )
    else:
        predicted = classes[oof.argmax(axis=1)]
        truth, split = ids, f"leave-one-out on {len(rows)} samples of x"
        gain = _learning_curve_gain(features, targets, ctx.seed, oof=oof)
    if gain is not None:
        reference["learning_curve_gain"] = gain
    ranking = _oof_ranking(oof, targets)
    if ranking is not None:
        reference["oof_auc"], reference["oof_auc_chance_se"] = ranking
    reference.update(
        accuracy=float(np.mean(predicted == truth)),
        balanced_accuracy=float(balanced_accuracy_score(truth, predicted)),
        chance_balanced_accuracy=1.0 / len(classes),
        split=split,
        held_out=int(len(truth)),
        seconds=round(time.perf_counter() - start, 2),
    )
    ctx.reference_rows, ctx.reference_oof, ctx.reference_classes = rows, oof, classes
    return reference


def order_free_accuracies(ctx):
    """(ordered, order-free): the reference's leave-one-out balanced accuracy on
    its own rows, and the same reference refitted on those rows with each
    sample's steps shuffled (what a model that ignores the order can still read:
    the values, not where they are). `None` before `fit_reference`."""
    from sklearn.metrics import balanced_accuracy_score

    rows = ctx.reference_rows
    if rows is None or ctx.reference_oof is None:
        return None
    classes = ctx.reference_classes
    targets = np.searchsorted(classes, ctx.labels.ids[rows])
    ordered = balanced_accuracy_score(targets, ctx.reference_oof.argmax(axis=1))
    rng = np.random.default_rng(ctx.seed)
    x = ctx.x[rows]
    steps = np.argsort(rng.random(x.shape[:2]), axis=1)  # a shuffle per sample
    shuffled = np.take_along_axis(
        x, steps.reshape(steps.shape + (1,) * (x.ndim - 2)), 1
    )
    featurize, _ = _FEATURIZERS[_kind(x)]
    features, _ = featurize(shuffled, ctx.seed)
    _, oof = _ridge_with_oof(features, targets)
    return float(ordered), float(balanced_accuracy_score(targets, oof.argmax(axis=1)))


def _learning_curve_gain(features, targets, seed, *, held_out=None, oof=None):
    """Held-out accuracy with all the training rows minus that with a stratified
    half of them: how much more data still helps a model fitted to convergence
    in closed form, whatever the user's model or learning rate.

    `held_out`: (features, targets, accuracy of the full fit) on
    `validation_data`, where the half fit is scored too. Without it the half
    left out is the test set, scored beside the full fit's leave-one-out
    predictions `oof` on the same rows. None when a class has fewer than 4 rows.
    """
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    from keras_seqfix.models._ridge_head import DEFAULT_ALPHAS

    counts = np.bincount(targets)
    if len(counts) < 2 or counts.min() < 4:
        return None
    half, rest = train_test_split(
        np.arange(len(targets)), train_size=0.5, random_state=seed, stratify=targets
    )
    with threadpool_limits(limits=1, user_api="blas"):
        ridge = RidgeClassifierCV(alphas=DEFAULT_ALPHAS).fit(
            features[half], targets[half]
        )
    if held_out is not None:
        x_test, y_test, full = held_out
    else:
        x_test, y_test = features[rest], targets[rest]
        full = float(np.mean(oof[rest].argmax(axis=1) == y_test))
    predicted = ridge.classes_[_predict(ridge, x_test)]
    return round(full - float(np.mean(predicted == y_test)), 4)


def _kind(x):
    if x.dtype.kind in "iu" and x.ndim == 2:
        return "tokens"
    if x.dtype.kind == "f" and x.ndim in (2, 3):
        return "series"
    if x.dtype.kind in "fiu" and x.ndim == 5:
        return "frames"
    return None


def _rows(ctx, max_samples):
    """Rows with finite inputs and a class, at most `max_samples`, stratified."""
    rows = np.flatnonzero(finite_rows(ctx.x) & (ctx.labels.ids >= 0))
    if len(rows) <= max_samples:
        return rows
    rng = np.random.default_rng(ctx.seed)
    ids = ctx.labels.ids[rows]
    share = max_samples / len(rows)
    keep = []
    for c in np.unique(ids):
        members = rows[ids == c]
        take = max(1, int(round(share * len(members))))
        keep.append(rng.choice(members, min(take, len(members)), replace=False))
    return np.sort(np.concatenate(keep))


def _series_features(x, seed):
    from keras_seqfix.layers import MiniRocketFeatures

    series = x[..., None] if x.ndim == 2 else x
    size = _FEATURES_SMALL if len(series) <= _LARGE else _FEATURES_LARGE
    layer = MiniRocketFeatures(num_features=size, seed=seed)
    layer.adapt(series.astype("float32"))

    def transform(data, batch_size=256):
        import keras

        data = (data[..., None] if data.ndim == 2 else data).astype("float32")
        parts = [
            keras.ops.convert_to_numpy(layer(data[i : i + batch_size]))
            for i in range(0, len(data), batch_size)
        ]
        # MiniRocket's kernels sum to zero: its features cannot see a series'
        # level or scale, which can be the label. Per-channel summaries can.
        summary = np.concatenate(
            [data.mean(axis=1), data.std(axis=1), data.min(axis=1), data.max(axis=1)],
            axis=1,
        )
        features = np.concatenate([np.concatenate(parts), summary], axis=1)
        return _standardise(features.astype("float64"), stats)

    stats = None
    train = transform(series)
    stats = (train.mean(axis=0), train.std(axis=0))
    return _standardise(train, stats), transform


def _standardise(features, stats):
    if stats is None:
        return features
    mean, std = stats
    return (features - mean) / np.where(std > 0, std, 1.0)


def _token_features(x, seed):
    """TF-IDF of token unigrams and hashed bigrams; id 0 is padding (Keras's
    `mask_zero` convention) and is left out."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    def counts(ids):
        ids = ids.astype(np.int64)
        n, steps = ids.shape
        row = np.repeat(np.arange(n), steps)
        uni = ids.ravel()
        big = (ids[:, :-1] * 1_000_003 + ids[:, 1:]) % _HASH_BUCKETS
        big_ok = ((ids[:, :-1] > 0) & (ids[:, 1:] > 0)).ravel()
        cols = np.concatenate([uni % _HASH_BUCKETS, _HASH_BUCKETS + big.ravel()])
        rows = np.concatenate([row, np.repeat(np.arange(n), steps - 1)])
        keep = np.concatenate([uni > 0, big_ok])
        values = np.ones(keep.sum())
        return sparse.csr_matrix(
            (values, (rows[keep], cols[keep])), shape=(n, 2 * _HASH_BUCKETS)
        )

    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts(x))
    return tfidf.transform(counts(x)), lambda data: tfidf.transform(counts(data))


def _frame_features(x, seed):
    """Each frame pooled to a coarse grid per channel, frames kept in order, and
    the change between consecutive frames (the motion a clip's label may be)."""

    def grid(data):
        data = data.astype("float32")
        n, t, h, w, c = data.shape
        gh, gw = min(_GRID, h), min(_GRID, w)
        data = data[:, :, : h // gh * gh, : w // gw * gw]
        pooled = data.reshape(n, t, gh, h // gh, gw, w // gw, c).mean(axis=(3, 5))
        pooled = pooled.reshape(n, t, -1)
        motion = np.abs(np.diff(pooled, axis=1)) if t > 1 else pooled[:, :0]
        return np.concatenate(
            [pooled.reshape(n, -1), motion.reshape(n, -1)], axis=1
        ).astype("float64")

    train = grid(x)
    stats = (train.mean(axis=0), train.std(axis=0))
    return _standardise(train, stats), lambda data: _standardise(grid(data), stats)


_FEATURIZERS = {
    "series": (_series_features, "MiniRocket + ridge"),
    "tokens": (_token_features, "TF-IDF + ridge"),
    "frames": (_frame_features, "frame grid + ridge"),
}


def _ridge_with_oof(features, targets):
    """Ridge with leave-one-out alpha, and its leave-one-out probabilities."""
    from sklearn.linear_model import RidgeClassifierCV
    from threadpoolctl import threadpool_limits

    from keras_seqfix.models._ridge_head import (
        DEFAULT_ALPHAS,
        fit_temperature,
        loo_scores,
    )

    ridge = RidgeClassifierCV(alphas=DEFAULT_ALPHAS, store_cv_results=True)
    # One BLAS thread for the solve (an n x n eigendecomposition): the figures do
    # not depend on the thread count, and on a busy machine two OpenBLAS threads
    # took 16 s where one takes 1.4 s (2,000 samples, 2 cores shared).
    with threadpool_limits(limits=1, user_api="blas"):
        ridge.fit(features, targets)
    loo = loo_scores(ridge, features, targets)
    if loo.shape[1] == 1:  # binary: one score, positive for class 1
        loo = np.concatenate([-loo, loo], axis=1) / 2
    logits = loo * fit_temperature(loo, targets)
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return ridge, probs / probs.sum(axis=1, keepdims=True)


def _predict(ridge, features):
    scores = ridge.decision_function(features)
    if scores.ndim == 1:
        return (scores > 0).astype(np.int64)
    return scores.argmax(axis=1)


# The smallest class needs this many samples before a ranking at chance is read
# as evidence that the labels carry nothing (below it, tiny classes are imbalance).
_MIN_CLASS_FOR_NO_SIGNAL = 20


def _oof_ranking(oof, targets):
    """(macro one-vs-rest ROC AUC of the out-of-fold probabilities, its standard
    error at chance for the smallest class), or None with a class under
    `_MIN_CLASS_FOR_NO_SIGNAL`. AUC reads the ranking, not the argmax, so it
    does not fall to chance when the argmax predicts only the majority class
    (balanced accuracy does, under imbalance). The error is Hanley and McNeil's
    (1982) at AUC 0.5."""
    from sklearn.metrics import roc_auc_score

    counts = np.bincount(targets)
    if len(counts) < 2 or counts.min() < _MIN_CLASS_FOR_NO_SIGNAL:
        return None
    if len(counts) == 2:
        auc = roc_auc_score(targets, oof[:, 1])
    else:
        auc = roc_auc_score(targets, oof, multi_class="ovr", average="macro")
    small, rest = counts.min(), len(targets) - counts.min()
    se = math.sqrt((0.25 + (small - 1) / 12 + (rest - 1) / 12) / (small * rest))
    return round(float(auc), 4), round(se, 4)


def sees_no_signal(reference):
    """The reference ranks the samples no better than chance (out-of-fold AUC
    within three standard errors, and 0.05, of 0.5) with at least 20 samples
    in every class: then the labels carry nothing it can see, whatever the
    class frequencies, and an imbalance does not explain a model stuck at the
    prior. False when not measured."""
    if not reference or reference.get("oof_auc") is None:
        return False
    margin = max(0.05, 3 * reference["oof_auc_chance_se"])
    return reference["oof_auc"] <= 0.5 + margin and not clearly_above_chance(reference)


def clearly_above_chance(reference, floor=0.1):
    """The reference's balanced accuracy three standard errors, and at least
    `floor`, above chance."""
    if not reference or reference.get("balanced_accuracy") is None:
        return False
    chance = reference["chance_balanced_accuracy"]
    se = math.sqrt(chance * (1 - chance) / max(reference["held_out"], 1))
    return reference["balanced_accuracy"] >= chance + max(floor, 3 * se)
