"""What `diagnose` reads from the inputs a user trains with: arrays as they are, and
a sample of up to `max_samples` samples from a `tf.data.Dataset`, a
`keras.utils.PyDataset` (such as `ksf.imbalance.BalancedBatches`) or a generator.

The data checks hash, count and subsample whole arrays, so a stream is read once, in
order, into arrays, and everything else works on those. Nothing of the user's object
is changed: a dataset is iterated (a `tf.data` iterator of its own), a PyDataset is
indexed from batch 0 (its `on_epoch_end` is never called), and a generator is the
one exception that cannot be avoided: the batches read from it are consumed.
"""

import dataclasses

import keras
import numpy as np


@dataclasses.dataclass
class Collected:
    """Arrays read from one input, and where they came from."""

    x: np.ndarray
    y: np.ndarray | None
    sample_weight: np.ndarray | None
    source: str  # "arrays", "tf.data.Dataset", "PyDataset" or "generator"
    exhausted: bool  # the whole stream was read (False: stopped at max_samples)


def kind_of(value):
    """`"tf.data.Dataset"`, `"PyDataset"`, `"generator"` or `"arrays"`."""
    if hasattr(value, "element_spec") and hasattr(value, "take"):
        return "tf.data.Dataset"
    if isinstance(value, keras.utils.PyDataset):
        return "PyDataset"
    if hasattr(value, "__next__") and hasattr(value, "__iter__"):
        return "generator"
    return "arrays"


def collect(value, y, *, name, max_samples, input_rank):
    """Read `value` (and `y`) into arrays; a stream gives `(x, y[, sample_weight])`.

    `input_rank` is the rank of one sample as the model takes it (`None` when the
    model does not say): a stream whose elements have that rank is unbatched.
    """
    kind = kind_of(value)
    if kind == "arrays":
        return Collected(value, y, None, kind, True)
    if y is not None:
        raise ValueError(
            f"`y` should be None when `{name}` is a {kind}: the labels come from "
            f"its elements, as in `model.fit`. Received: y of type "
            f"{type(y).__name__}. Fix: diagnose(model, {name}) with elements "
            "`(x, y)` or `(x, y, sample_weight)`."
        )
    batches = _batches(value, kind)
    xs, ys, ws, count, exhausted = [], [], [], 0, True
    for element in batches:
        xb, yb, wb = _split(element, name, kind)
        if input_rank is not None and xb.ndim == input_rank:
            xb, yb = xb[None], yb[None]  # an unbatched element
            wb = None if wb is None else wb[None]
        _check_batch(xb, yb, name, kind)
        xs.append(xb)
        ys.append(yb)
        ws.append(wb)
        count += len(xb)
        if count >= max_samples:
            exhausted = False
            break
    if not xs:
        raise ValueError(
            f"`{name}` should yield at least one batch `(x, y)`. Received: an empty "
            f"{kind}. Fix: pass the dataset you give `model.fit`."
        )
    try:
        x_all, y_all = np.concatenate(xs)[:max_samples], np.concatenate(ys)
    except ValueError as exc:
        raise ValueError(
            f"`{name}` should yield batches of one shape (apart from the batch "
            f"size). Received: a {kind} whose batches have inputs of shapes "
            f"{sorted({b.shape[1:] for b in xs})}. Fix: pad every batch to the same "
            "length, or pass padded arrays."
        ) from exc
    weights = None
    if any(w is not None for w in ws):
        if any(w is None for w in ws):
            raise ValueError(
                f"`{name}` should yield sample weights in every batch or in none. "
                f"Received: a {kind} with some batches `(x, y, sample_weight)` and "
                "some `(x, y)`."
            )
        weights = np.concatenate(ws)[:max_samples]
    return Collected(x_all, y_all[:max_samples], weights, kind, exhausted)


def _batches(value, kind):
    if kind == "tf.data.Dataset":
        return (_numpy(element) for element in value)
    if kind == "PyDataset":
        # Indexed from batch 0 without `on_epoch_end`: the object is read, not
        # advanced. `num_batches` is None for an infinite PyDataset.
        count = value.num_batches

        def read():
            index = 0
            while count is None or index < count:
                yield value[index]
                index += 1

        return read()
    return value  # a generator: what is read from it is consumed


def _numpy(element):
    if isinstance(element, tuple | list):
        return tuple(_numpy(part) for part in element)
    if isinstance(element, dict):
        return element
    return keras.ops.convert_to_numpy(element)


def _split(element, name, kind):
    if isinstance(element, dict) or (
        isinstance(element, tuple | list)
        and element
        and isinstance(element[0], dict | list | tuple)
    ):
        raise TypeError(
            f"`{name}` should yield `(x, y)` with one input array. Received: a {kind} "
            "whose inputs are a dict or a list (a model with several inputs). "
            "`diagnose` takes models with one input."
        )
    if not isinstance(element, tuple | list) or len(element) not in (2, 3):
        size = len(element) if isinstance(element, tuple | list) else 1
        raise ValueError(
            f"`{name}` should yield `(x, y)` or `(x, y, sample_weight)` as "
            f"`model.fit` takes them. Received: a {kind} whose elements have "
            f"{size} part(s). Fix: map it to pairs, e.g. "
            "`dataset.map(lambda x, y: (x, y))`, and keep the labels in it."
        )
    parts = [None if part is None else np.asarray(part) for part in element]
    x, y = parts[0], parts[1]
    weights = parts[2] if len(parts) == 3 else None
    if x is None or y is None or x.ndim == 0:
        raise ValueError(
            f"`{name}` should yield batches `(x, y)` with one label per sample. "
            f"Received: a {kind} element with x of shape "
            f"{None if x is None else x.shape} and y of shape "
            f"{None if y is None else y.shape}."
        )
    return x, y, weights


def _check_batch(x, y, name, kind):
    if y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"`{name}` should yield batches `(x, y)` with one label per sample. "
            f"Received: a {kind} batch with x of shape {x.shape} and y of shape "
            f"{y.shape}."
        )


def describe(collected, max_samples):
    """A note for the report: what was read from a stream, or None for arrays."""
    if collected.source == "arrays":
        return None
    whole = (
        "all of it" if collected.exhausted else f"the first {max_samples} (max_samples)"
    )
    consumed = (
        "; these batches were consumed from your generator"
        if collected.source == "generator"
        else ""
    )
    return (
        f"read {len(collected.x)} samples from the {collected.source}, {whole}"
        f"{consumed}"
    )
