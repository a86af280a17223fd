"""Input validation and model introspection shared by the diagnosis checks."""

import dataclasses
import math

import keras
import numpy as np

from keras_seqfix._labels import LabelInfo, loss_name_and_logits  # one parser
from keras_seqfix.diagnosis._probe_result import ProbeResult

_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "ConvLSTM")
_INPUT_SCALERS = (
    "Normalization",
    "Rescaling",
    "LayerNormalization",
    "BatchNormalization",
)


def as_array(value, name):
    """`value` as a NumPy array; a dataset or iterator here is refused (only `x`
    and `validation_data` may be streams: see `_collect`)."""
    if value is None:
        return None
    type_name = type(value).__name__
    if (
        hasattr(value, "element_spec")
        or isinstance(value, keras.utils.PyDataset)
        or hasattr(value, "__next__")  # generators and other iterators
    ):
        raise TypeError(
            f"`{name}` should be a NumPy array. Received: {name} of type {type_name}. "
            "A dataset or generator of `(x, y)` batches goes in `x` (or "
            "`validation_data`), with `y=None`."
        )
    try:
        return np.asarray(value)
    except Exception as exc:
        raise TypeError(
            f"`{name}` should be a NumPy array. Received: {name} of type {type_name}."
        ) from exc


@dataclasses.dataclass
class ModelInfo:
    """What the compiled model expects: loss, output activation and units, masks."""

    loss_name: str  # canonical: sparse_cce, cce, bce, mse, other, unknown
    loss_label: str  # as the user wrote it
    from_logits: bool
    activation: str  # output activation name, "unknown" if not found
    units: int
    has_mask: bool
    has_recurrent: bool
    has_input_scaling: bool
    learning_rate: float | None


def all_layers(model):
    """Every layer, nested models and wrapped layers included."""
    found = []
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop(0)
        found.append(layer)
        stack.extend(getattr(layer, "layers", []) or [])
        for attr in ("layer", "forward_layer", "backward_layer"):
            inner = getattr(layer, attr, None)
            if isinstance(inner, keras.layers.Layer):
                found.append(inner)
    return found


def _output_activation(model):
    layer = model
    while getattr(layer, "layers", None):
        layer = layer.layers[-1]
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    if activation is None:
        return "unknown"
    name = getattr(activation, "__name__", None) or type(activation).__name__
    return name.lower()


def model_info(model, output_units):
    """Describe the compiled `model` (its loss, output activation, masking)."""
    loss_name, loss_label, from_logits = loss_name_and_logits(model.loss)
    layers = all_layers(model)
    names = [type(layer).__name__ for layer in layers]
    # Masking, Embedding(mask_zero=True), or a layer that builds a padding mask
    # (e.g. the PaddingMask of ksf.build_lstm_classifier).
    has_mask = any(
        isinstance(layer, keras.layers.Masking)
        or getattr(layer, "mask_zero", False)
        or "Mask" in type(layer).__name__
        for layer in layers
    )
    learning_rate = None
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        try:
            learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        except Exception:  # a schedule: report no single learning rate
            learning_rate = None
    return ModelInfo(
        loss_name=loss_name,
        loss_label=loss_label,
        from_logits=from_logits,
        activation=_output_activation(model),
        units=int(output_units),
        has_mask=has_mask,
        has_recurrent=any(n.startswith(_RECURRENT) for n in names),
        has_input_scaling=any(n in _INPUT_SCALERS for n in names[:4]),
        learning_rate=learning_rate,
    )


def expected_init_loss(info, num_classes):
    """The loss of an uninformed classifier: log K for softmax, log 2 per sigmoid."""
    if info.loss_name in ("sparse_cce", "cce"):
        return math.log(max(info.units, 2))
    if info.loss_name == "bce":
        return math.log(2.0)
    return None


def row_keys(x):
    """One hashable key per sample, equal exactly when the samples are identical."""
    if x.dtype.kind in "OUS":
        return np.array([hash(repr(row)) for row in x], dtype=np.int64)
    rows = np.ascontiguousarray(x.reshape(len(x), -1))
    void = np.dtype((np.void, rows.dtype.itemsize * max(rows.shape[1], 1)))
    return rows.view(void).ravel()


@dataclasses.dataclass
class Context:
    """Everything a check reads; checks add what they measure to `measurements`."""

    model: object
    x: np.ndarray
    y: np.ndarray
    labels: LabelInfo
    info: ModelInfo
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    val_ids: np.ndarray | None = None
    weighted: bool = False  # class_weight or sample_weight given to diagnose
    # One weight per sample of `x` (from class_weight, sample_weight or a stream's
    # third element), used by the probe trainings as `fit` uses it; None: unweighted.
    sample_weight: np.ndarray | None = None
    stream_weights: np.ndarray | None = None
    trained: bool = False  # the user's model has taken an optimizer step
    batch_size: int = 32
    seed: int = 0
    measurements: dict = dataclasses.field(default_factory=dict)
    # What the probe measured (`run_probes`); all NaN/None where it did not run.
    probe: ProbeResult = dataclasses.field(default_factory=ProbeResult)
    # The reference (`DiagnosisReport.reference`; None: not fitted), its sample
    # rows, out-of-fold probabilities and classes (see _reference.fit_reference).
    reference: dict | None = None
    reference_rows: np.ndarray | None = None
    reference_oof: np.ndarray | None = None
    reference_classes: np.ndarray | None = None
    notes: list = dataclasses.field(default_factory=list)
    # Evidence a check or probe could not measure, one sentence each: a report
    # with any is inconclusive, never healthy.
    missing: list = dataclasses.field(default_factory=list)

    @property
    def num_classes(self):
        return max(self.info.units, self.labels.num_classes, 2)

    @property
    def numeric(self):
        return self.x.dtype.kind in "fiub"

    @property
    def tokens(self):
        return self.x.dtype.kind in "iu" and self.x.ndim == 2
