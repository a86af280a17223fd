"""`unfreeze_backbone`: the second, fine-tuning phase of a `build_cnn_lstm` model."""

import keras

from keras_seqfix._validation import checked_signature
from keras_seqfix.models import _common
from keras_seqfix.models.backbones import BACKBONE_LAYER_NAME


@checked_signature
def unfreeze_backbone(model, *, num_layers=None, learning_rate=1e-5):
    """Unfreeze the top of the frame backbone and recompile with a lower rate.

    The usual transfer-learning schedule: train the new layers on a frozen
    backbone, then unfreeze its top `num_layers` layers and train on with a small
    learning rate. The layers it unfreezes exclude BatchNormalization, which stays
    frozen and so keeps running in inference mode with its pretrained statistics
    (updating them on small batches of a new dataset destroys what the backbone
    learned). Layers that were already trainable (a `"small_cnn"` backbone, which
    trains from scratch, or layers you unfroze yourself) stay as they were:
    nothing is frozen behind your back. So a pretrained backbone built with
    `freeze_backbone=False` keeps its trainable BatchNormalization too; set
    those layers' `trainable = False` yourself to keep the pretrained statistics.

    The model is recompiled with a fresh optimizer of the same class and
    settings as its own (momentum, weight decay, clipping...) at
    `learning_rate`: its moments restart from zero, since the newly trainable
    weights have none. The loss, metrics (your own metric functions included)
    and the other `compile` arguments are the ones the model was compiled with.

    Args:
        model (keras.Model): a compiled model from `build_cnn_lstm` (it has a
            `"frame_backbone"` layer).
        num_layers (int or None): how many of the backbone's top layers to unfreeze,
            counting only layers with weights and not BatchNormalization (in the order
            of `backbone.layers`); `None` unfreezes all of them. Defaults to `None`.
        learning_rate (float): the new learning rate, typically 10-100x below the
            first phase. Defaults to `1e-5`.

    Returns:
        (keras.Model): The same `model`, recompiled (it is changed in place, as you
            asked).

    Raises:
        TypeError: if `model` is not a `keras.Model`, or `num_layers` or
            `learning_rate` is not a number.
        ValueError: if `model` has no `"frame_backbone"` layer or is not
            compiled, or `num_layers` or `learning_rate` is not positive.

    Examples:
        >>> import keras
        >>> import keras_seqfix as ksf
        >>> frame = keras.Sequential([keras.Input((16, 16, 1)),
        ...     keras.layers.Conv2D(4, 3, name="low"), keras.layers.Conv2D(4, 3, name="top")])
        >>> model = ksf.models.build_cnn_lstm(2, input_shape=(4, 16, 16, 1),
        ...     backbone=frame, units=4)
        >>> _ = ksf.models.unfreeze_backbone(model, num_layers=1)
        >>> [layer.trainable for layer in model.get_layer("frame_backbone").layer.layers]
        [False, True]
        >>> float(model.optimizer.learning_rate)
        1e-05
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` should be a keras.Model. Received: model={model!r}")
    try:
        wrapper = model.get_layer(BACKBONE_LAYER_NAME)
    except ValueError as exc:
        raise ValueError(
            f"`model` should be built by build_cnn_lstm: it has no "
            f"'{BACKBONE_LAYER_NAME}' layer. Received: model named {model.name!r}"
        ) from exc
    if num_layers is not None:
        num_layers = _common.check_int("num_layers", num_layers, minimum=1)
    learning_rate = _common.check_learning_rate(learning_rate)
    arguments = _compile_arguments(model)
    backbone = wrapper.layer
    layers = [layer for layer in _leaf_layers(backbone) if layer.weights]
    # `trainable` is inherited: a frozen backbone freezes every layer in it.
    kept = {id(layer) for layer in layers if backbone.trainable and layer.trainable}
    candidates = [
        layer
        for layer in layers
        if not isinstance(layer, keras.layers.BatchNormalization)
    ]
    top = candidates if num_layers is None else candidates[-num_layers:]
    unfrozen = kept | {id(layer) for layer in top}
    backbone.trainable = True  # sets every layer in it; then freeze the rest
    for layer in layers:
        layer.trainable = id(layer) in unfrozen
    arguments["optimizer"] = _fresh_optimizer(model.optimizer, learning_rate)
    model.compile(**arguments)
    return model


def _leaf_layers(layer):
    """The layers inside `layer`, nested sub-models flattened, in order.

    Only leaves: a nested model's own `trainable` would set all of its layers.
    """
    found = []
    for sublayer in getattr(layer, "layers", []):
        if getattr(sublayer, "layers", None):
            found.extend(_leaf_layers(sublayer))
        else:
            found.append(sublayer)
    return found


def _compile_arguments(model):
    """The arguments `model` was compiled with, as objects."""
    if not model.get_compile_config():
        raise ValueError(
            "`model` should be compiled before unfreeze_backbone, which keeps its "
            "loss and metrics. Call model.compile(...) or build with compile=True."
        )
    # The objects passed to `compile` (private in Keras, see _backend.private_api).
    # Reusing them keeps a user's own metric functions, which the serialised
    # config cannot rebuild unless registered.
    from keras_seqfix._backend.private_api import compile_arguments

    kept = compile_arguments(model)
    if kept is not None:
        arguments = dict(kept)
    else:
        arguments = keras.saving.deserialize_keras_object(model.get_compile_config())
    arguments["loss"] = model.loss  # the same loss object, not a rebuilt wrapper
    # Not in the compile config, and True would wrap an optimizer compiled
    # with `auto_scale_loss=False`; `_fresh_optimizer` keeps a wrap there was.
    arguments["auto_scale_loss"] = False
    return arguments


def _fresh_optimizer(optimizer, learning_rate):
    """An optimizer of the same class and settings, new state, at `learning_rate`.

    A fresh one, not the model's own: Keras optimizers build their moments for
    the variables they first see and cannot take the newly trainable weights.
    """
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):  # mixed precision
        config = optimizer.get_config()
        return keras.optimizers.LossScaleOptimizer(
            _fresh_optimizer(optimizer.inner_optimizer, learning_rate),
            initial_scale=config["initial_scale"],
            dynamic_growth_steps=config["dynamic_growth_steps"],
        )
    config = optimizer.get_config()
    config["learning_rate"] = learning_rate
    return type(optimizer).from_config(config)
