"""Checks on how a model over frame sequences is put together, read from its layers
(no training): a random augmentation drawn per frame (`per_frame_augmentation`) and
the width of the per-frame vector that enters the recurrent layers
(`frame_feature_width`).

Both apply to clips `(samples, frames, height, width, channels)` and other inputs
whose frames a `TimeDistributed` backbone encodes one by one. Two more apply to
every model: the classifier head reading a vector too narrow for the classes
(`underfitting`: `Dense(1)` before `Dense(20, "softmax")`), and a gated recurrent
cell whose activation has no bound (`exploding_gradients`: `LSTM(activation="relu")`).
"""

import keras

from keras_seqfix.diagnosis._inputs import all_layers
from keras_seqfix.diagnosis.finding import make_finding, severity_of

# Keras's random preprocessing layers: each call draws its own transformation.
_RANDOM_PREFIX = "Random"
# Above this many features per frame the recurrent layer's input kernel dwarfs the
# data: pooled ImageNet backbones give 512 to 2,048; a `Flatten` of a conv map tens
# of thousands.
_WIDE = 4096


def _inner_layers(layer):
    """The layers inside a `TimeDistributed` wrapper (nested models included)."""
    inner = getattr(layer, "layer", None)
    if inner is None:
        return []
    return [inner, *all_layers(inner)] if isinstance(inner, keras.Model) else [inner]


def _per_frame_wrappers(model):
    return [
        layer
        for layer in all_layers(model)
        if isinstance(layer, keras.layers.TimeDistributed)
    ]


def check_per_frame_augmentation(ctx):
    """A random augmentation inside `TimeDistributed`: every frame of a clip gets
    its own flip, rotation or crop, so the motion between frames becomes noise."""
    if ctx.x.ndim < 4:
        return []
    found = []
    for wrapper in _per_frame_wrappers(ctx.model):
        for layer in _inner_layers(wrapper):
            name = type(layer).__name__
            if name.startswith(_RANDOM_PREFIX) and name != _RANDOM_PREFIX:
                found.append((wrapper.name, name))
    if not found:
        return []
    names = sorted({name for _, name in found})
    evidence = {
        "per_frame_random_layers": ", ".join(names),
        "inside": ", ".join(sorted({wrapper for wrapper, _ in found})),
        "frames_per_sample": int(ctx.x.shape[1]),
    }
    title = (
        f"{', '.join(names)} inside TimeDistributed draws a new transformation for "
        "every frame: the frames of one clip no longer agree, and their motion is noise"
    )
    fix = (
        "augment = ksf.layers.SequenceAugmentation(flip='horizontal', rotation=0.05)\n"
        "# one draw per clip, applied to all its frames; before the per-frame "
        "backbone:\n"
        "x = augment(inputs); x = keras.layers.TimeDistributed(backbone)(x)"
    )
    return [make_finding("per_frame_augmentation", 0.6, title, evidence, fix)]


def _recurrent_input_width(model):
    """`(layer name, features per step)` entering the first recurrent layer."""
    for layer in all_layers(model):
        if not isinstance(layer, keras.layers.RNN | keras.layers.Bidirectional):
            continue
        try:
            shape = layer.input.shape
        except (AttributeError, ValueError):  # nested or never called
            return None
        if len(shape) == 3 and shape[-1] is not None:
            return layer.name, int(shape[-1])
        return None
    return None


def _has_flatten(model):
    return any(
        isinstance(inner, keras.layers.Flatten)
        for wrapper in _per_frame_wrappers(model)
        for inner in _inner_layers(wrapper)
    )


def check_frame_feature_width(ctx):
    """The per-frame vector entering the recurrent layers is far too wide (a
    flattened conv map) or narrower than the number of classes."""
    if ctx.x.ndim < 4 or not _per_frame_wrappers(ctx.model):
        return []
    found = _recurrent_input_width(ctx.model)
    if found is None:
        return []
    name, width = found
    k = ctx.num_classes
    samples = len(ctx.x)
    evidence = {
        "recurrent_layer": name,
        "features_per_frame": width,
        "classes": k,
        "training_samples": samples,
        "flatten_per_frame": _has_flatten(ctx.model),
    }
    if width > _WIDE:
        title = (
            f"{width:,} features per frame enter {name}: its input weights alone "
            f"outnumber the {samples:,} training clips many times over"
        )
        fix = (
            "keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D())  "
            "# not Flatten()\n"
            f"# or: model = ksf.build_cnn_lstm({k}, input_shape=...)"
        )
        score = 0.6 if evidence["flatten_per_frame"] else 0.5
        return [make_finding("frame_feature_width", score, title, evidence, fix)]
    if width < k:
        title = (
            f"{width} features per frame enter {name} for {k} classes: the frames "
            "are squeezed below one feature per class before the sequence is read"
        )
        fix = (
            "keras.layers.TimeDistributed(keras.layers.Dense(64, activation='relu'))"
            "  # wider per-frame features\n"
            f"# or: model = ksf.build_cnn_lstm({k}, input_shape=...)"
        )
        return [make_finding("frame_feature_width", 0.5, title, evidence, fix)]
    return []


def _head_input_width(model, units):
    """`(layer name, input width)` of the last top-level Dense-like layer with
    `units` outputs (the head), or None."""
    for layer in reversed(list(getattr(model, "layers", []))):
        kernel = getattr(layer, "kernel", None)
        shape = getattr(kernel, "shape", None)
        if shape is not None and len(shape) == 2 and shape[-1] == units:
            return layer.name, int(shape[0])
    return None


def check_head_bottleneck(ctx):
    """The head's logits are a linear map of its input, so a head reading `w`
    numbers gives logits of rank at most `w + 1`: below K - 1 the classes cannot
    all be told apart freely, however long the training. Flagged where that
    input is one or two numbers for more classes than it can span (K >= 3 for
    one number, K >= 4 for two)."""
    k = ctx.num_classes
    found = _head_input_width(ctx.model, ctx.info.units)
    if found is None or k < 3:
        return []
    name, width = found
    if width >= min(k - 1, 3):
        return []
    title = (
        f"The classifier '{name}' reads {width} number{'s' if width > 1 else ''} "
        f"for {k} classes: a layer before it squeezes every sample to a "
        f"{width}-dimensional vector, too narrow to separate the classes"
    )
    evidence = {"head_layer": name, "head_input_width": width, "classes": k}
    fix = (
        "keras.layers.Dense(64, activation='relu')  # the layer before the head, "
        "wider than the classes\n"
        f"# or a builder: ksf.build_lstm_classifier({k}, input_shape=...)"
    )
    return [make_finding("underfitting", 0.6, title, evidence, fix)]


# Gated cells whose state update goes through `activation` (tanh by default).
_GATED = ("LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")


def _unbounded(activation):
    """True when `activation` reaches beyond +-100 on inputs of +-1000 (relu, elu,
    linear, ...), where tanh, sigmoid and softsign stay within 1."""
    try:
        values = keras.ops.convert_to_numpy(
            activation(keras.ops.convert_to_tensor([-1000.0, 1000.0]))
        )
    except Exception:  # an activation that cannot be evaluated alone: say nothing
        return False
    return bool(abs(values).max() > 100)


def check_unbounded_recurrent_activation(ctx):
    """An LSTM or GRU whose cell activation is unbounded (`activation="relu"`).

    The gates of a gated cell are sigmoids in [0, 1]; its state stays bounded
    only because the candidate update goes through tanh. With ReLU the state
    and output can grow at every step of a long sequence, and so do the
    gradients through time: the NaN losses of an LSTM with ReLU inside. (A
    `SimpleRNN` with ReLU and an identity recurrent initialiser is a known
    working recipe, IRNN, so it is not flagged.) Flagged from the layers alone;
    the probe caps it when the copy learns anyway (`unbounded_state_excused`).
    """
    layers = [
        layer
        for layer in all_layers(ctx.model)
        if type(layer).__name__ in _GATED
        and _unbounded(getattr(layer, "activation", None) or (lambda v: v))
    ]
    if not layers:
        return []
    names = [layer.name for layer in layers]
    activation = getattr(layers[0].activation, "__name__", "its activation")
    title = (
        f"Recurrent layer '{names[0]}' uses activation='{activation}': its cell "
        "state is unbounded over time steps, so activations and gradients can "
        "explode (NaN losses)"
    )
    evidence = {"recurrent_layers": ", ".join(names), "activation": activation}
    fix = (
        "keras.layers.LSTM(units)  # the default activation='tanh' bounds the state\n"
        "# and clip the gradients: keras.optimizers.Adam(1e-3, clipnorm=1.0)"
    )
    return [make_finding("exploding_gradients", 0.7, title, evidence, fix)]


def unbounded_state_excused(findings, ctx):
    """The probe's copy learned the labels without diverging: the unbounded
    state is a risk to mention, not what keeps the loss high (capped at 0.3)."""
    m = ctx.measurements
    if not (m.get("learned_signal") and m.get("diverged_at_your_lr") is False):
        return
    for f in findings:
        if f.code == "exploding_gradients" and "recurrent_layers" in f.evidence:
            f.score = min(f.score, 0.3)
            f.severity = severity_of(f.score)


STRUCTURE_CHECKS = (
    check_per_frame_augmentation,
    check_frame_feature_width,
    check_head_bottleneck,
    check_unbounded_recurrent_activation,
)
