"""Declarative argument checks shared by every public function and class.

The idea is scikit-learn's `_parameter_constraints`
(`sklearn/utils/_param_validation.py`): each public function or class declares
its arguments' constraints once, in one dict, and calls `validate_params`
before doing any work:

    _CONSTRAINTS = {
        "patience": [Interval(Integral, 0, None, closed="left")],
        "min_delta": [Interval(Real, 0, None, closed="left")],
        "mode": [Options(str, {"auto", "min", "max"})],
    }
    validate_params(_CONSTRAINTS, {"patience": patience, ...})

An argument is valid when it satisfies one of its constraints (`None` in the
list allows `None`). Otherwise the error names the argument, says what was
expected, shows what was received (with its type) and gives the fix, as
STYLE.md asks:

    `patience` should be a non-negative integer. Received: patience='10'
    (str). Pass an int, e.g. patience=10.

It is a `TypeError` when the value has none of the accepted types, a
`ValueError` when it has an accepted type but a bad value (NaN, out of range,
not an option). Array checks (`check_finite_array`, `check_token_ids`) and
unknown keyword arguments (`check_kwargs`) follow the same style.
"""

import difflib
import functools
import inspect
import math
import numbers
from numbers import Integral, Real

import numpy as np

# Array checks live beside, in the same style; re-exported so that every check is
# imported from here.
from keras_seqfix._array_checks import check_finite_array, check_token_ids

__all__ = [
    "Integral",
    "Interval",
    "InstanceOf",
    "NumberOrPair",
    "Options",
    "Real",
    "check_finite_array",
    "check_int",
    "check_kwargs",
    "check_layer_kwargs",
    "check_param",
    "check_token_ids",
    "checked_signature",
    "validate_params",
]

_TYPE_WORDS = {Integral: ("an integer", "an int"), Real: ("a float", "a float")}


def _is_bool(value):
    return isinstance(value, bool | np.bool_)


def _format(value):
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace("inf", "infinity")


class Interval:
    """Numbers of one type (`Integral` or `Real`) within `[left, right]`.

    Args:
        type: `numbers.Integral` or `numbers.Real`. Booleans never count as
            numbers; NaN is never inside an interval.
        left: lower bound, or `None` for none.
        right: upper bound, or `None` for none.
        closed: which bounds belong to the interval: `"both"`, `"left"`,
            `"right"` or `"neither"`. Defaults to `"both"`.
    """

    def __init__(self, type, left, right, *, closed="both"):
        if type not in _TYPE_WORDS:
            raise ValueError(f"`type` should be Integral or Real. Received: {type!r}")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Unknown `closed`: {closed!r}")
        self.type, self.left, self.right, self.closed = type, left, right, closed

    def has_type(self, value):
        return isinstance(value, self.type) and not _is_bool(value)

    def contains(self, value):
        if not self.has_type(value) or math.isnan(value):
            return False
        left_in = self.closed in ("both", "left")
        right_in = self.closed in ("both", "right")
        if self.left is not None and (
            value < self.left or (value == self.left and not left_in)
        ):
            return False
        if self.right is not None and (
            value > self.right or (value == self.right and not right_in)
        ):
            return False
        return not (self.type is Real and math.isinf(value) and self.right is None)

    def describe(self):
        noun = _TYPE_WORDS[self.type][0]
        low, high = self.left, self.right
        left_in = self.closed in ("both", "left")
        right_in = self.closed in ("both", "right")
        if low is not None and high is not None:
            brackets = ("[" if left_in else "(", "]" if right_in else ")")
            return (
                f"{noun} in {brackets[0]}{_format(low)}, {_format(high)}{brackets[1]}"
            )
        if low is not None:
            if low == 0:
                return (
                    f"a non-negative {noun.split()[-1]}"
                    if left_in
                    else (f"a positive {noun.split()[-1]}")
                )
            return f"{noun} {'>=' if left_in else '>'} {_format(low)}"
        if high is not None:
            return f"{noun} {'<=' if right_in else '<'} {_format(high)}"
        return f"a finite {noun.split()[-1]}" if self.type is Real else noun

    def example(self):
        """A value inside the interval, for the fix in an error message."""
        low, high = self.left, self.right
        if self.type is Integral:
            if low is None:
                return 0 if high is None or high >= 0 else high
            start = low if self.closed in ("both", "left") else low + 1
            return max(start, 1) if high is None or high >= 1 else start
        if low is not None and high is not None:
            return round((low + high) / 2, 3)
        if low is not None:
            return (
                float(low) * 2 if low > 0 else (float(low) + 1.0 if low != 0 else 0.1)
            )
        return 0.0 if high is None or high > 0 else float(high) - 1.0


class Options:
    """One of a fixed set of values of one type, e.g. `Options(str, {"a", "b"})`."""

    def __init__(self, type, options):
        self.type, self.options = type, set(options)

    def has_type(self, value):
        return isinstance(value, self.type) and not (
            _is_bool(value) and self.type is not bool
        )

    def contains(self, value):
        return self.has_type(value) and value in self.options

    def describe(self):
        values = ", ".join(repr(o) for o in sorted(self.options, key=repr))
        return f"one of {values}"

    def example(self):
        return sorted(self.options, key=repr)[0]


class InstanceOf:
    """An instance of `types`, described as `description` ("a keras.Model")."""

    def __init__(self, types, description=None):
        self.types = types if isinstance(types, tuple) else (types,)
        names = " or ".join(t.__name__ for t in self.types)
        self.description = description or f"an instance of {names}"

    def has_type(self, value):
        return isinstance(value, self.types)

    def contains(self, value):
        return self.has_type(value)

    def describe(self):
        return self.description

    def example(self):
        return None


class NumberOrPair:
    """A number in `interval`, or a pair (list or tuple of two) of such numbers.

    With `scalar=False` only a pair is accepted. A list or tuple of numbers of
    another length has the right type but a bad value (`ValueError`).
    """

    def __init__(self, interval, *, scalar=True):
        self.interval, self.scalar = interval, scalar

    def has_type(self, value):
        if isinstance(value, list | tuple):
            return all(self.interval.has_type(v) for v in value)
        return self.scalar and self.interval.has_type(value)

    def contains(self, value):
        if isinstance(value, list | tuple):
            return len(value) == 2 and all(self.interval.contains(v) for v in value)
        return self.scalar and self.interval.contains(value)

    def describe(self):
        text = self.interval.describe()
        if not self.scalar:
            plural = text.split(" ", 1)[1]
            for noun in ("integer", "float"):
                plural = plural.replace(noun, noun + "s", 1)
            return "a pair of " + plural
        return f"{text}, or a pair of them"

    def example(self):
        value = self.interval.example()
        return value if self.scalar else (value, value)


class _NoneConstraint:
    def has_type(self, value):
        return value is None

    contains = has_type

    def describe(self):
        return "None"

    def example(self):
        return None


def _as_constraint(constraint):
    if constraint is None:
        return _NoneConstraint()
    if constraint is bool:
        return InstanceOf((bool, np.bool_), "a bool")
    if isinstance(constraint, type):
        return InstanceOf(constraint)
    return constraint


def _fix(name, value, constraints, example):
    """The last sentence of an error: what to pass instead."""
    if isinstance(value, str):
        # patience="10": the user meant the number.
        for constraint in constraints:
            if isinstance(constraint, Interval):
                try:
                    number = float(value)
                except ValueError:
                    continue
                if constraint.type is Integral and number.is_integer():
                    number = int(number)
                if constraint.contains(number):
                    word = _TYPE_WORDS[constraint.type][1]
                    return f"Pass {word}, e.g. {name}={number!r}."
    if example is None:
        for constraint in constraints:
            example = constraint.example()
            if example is not None:
                break
    if example is None:
        return ""
    for constraint in constraints:
        if isinstance(constraint, Interval | Options) and constraint.contains(example):
            word = (
                _TYPE_WORDS[constraint.type][1]
                if isinstance(constraint, Interval)
                else "one of them"
            )
            return f"Pass {word}, e.g. {name}={example!r}."
    return f"Pass e.g. {name}={example!r}."


def check_param(name, value, constraints, *, example=None, hint=""):
    """Return `value` if it satisfies one of `constraints`, else raise.

    Args:
        name: the argument's name, as the user wrote it.
        value: the value received.
        constraints: a list of `Interval`, `Options`, `InstanceOf`, a type,
            `bool` or `None` (allows `None`).
        example: a valid value shown in the fix. Defaults to one taken from
            the constraints.
        hint: a sentence added to the message (the likely mistake and its fix).

    Returns:
        `value`, unchanged.

    Raises:
        TypeError: if `value` has none of the accepted types.
        ValueError: if it has an accepted type but a value outside them.
    """
    constraints = [_as_constraint(c) for c in constraints]
    if any(c.contains(value) for c in constraints):
        return value
    described = [c.describe() for c in constraints]
    expected = (
        described[0]
        if len(described) == 1
        else (", ".join(described[:-1]) + " or " + described[-1])
    )
    message = (
        f"`{name}` should be {expected}. Received: {name}={value!r} "
        f"({type(value).__name__})."
    )
    fix = hint or _fix(name, value, constraints, example)
    if fix:
        message += " " + fix
    if any(c.has_type(value) for c in constraints):
        raise ValueError(message)
    raise TypeError(message)


def validate_params(constraints, params, *, examples=None, hints=None):
    """Check every entry of `params` against its list in `constraints`.

    Args:
        constraints: `{name: [constraint, ...]}`, declared once per function
            or class.
        params: `{name: value}` received.
        examples: optional `{name: valid value}` shown in the fix.
        hints: optional `{name: sentence}` replacing the generated fix.

    Returns:
        `params`.
    """
    examples, hints = examples or {}, hints or {}
    for name, value in params.items():
        check_param(
            name,
            value,
            constraints[name],
            example=examples.get(name),
            hint=hints.get(name, ""),
        )
    return params


def check_int(name, value, *, minimum, hint=""):
    """`value` as an `int >= minimum`, or an error naming `name`.

    `hint` replaces the generated fix of a `ValueError` (the value is an
    integer, but too small).
    """
    constraint = Interval(Integral, minimum, None, closed="left")
    if constraint.has_type(value) and not constraint.contains(value) and hint:
        check_param(name, value, [constraint], hint=hint)
    check_param(name, value, [constraint])
    return int(value)


# What `keras.layers.Layer.__init__` takes besides a layer's own arguments.
LAYER_KWARGS = (
    "activity_regularizer",
    "autocast",
    "dtype",
    "input_dim",
    "input_shape",
    "name",
    "trainable",
)


def check_layer_kwargs(layer, kwargs):
    """`check_kwargs` for a layer: its own constructor arguments plus Keras's."""
    own = [
        p.name
        for p in inspect.signature(type(layer).__init__).parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
    ]
    check_kwargs(type(layer).__name__, kwargs, [*own, *LAYER_KWARGS])


def check_kwargs(owner, kwargs, valid):
    """Raise a `TypeError` listing the valid names for unknown keyword arguments.

    Args:
        owner: what received them, e.g. `"TimeSeriesAugmentation"`.
        kwargs: the keyword arguments received.
        valid: the names that are accepted.
    """
    unknown = sorted(set(kwargs) - set(valid))
    if not unknown:
        return
    close = {
        u: difflib.get_close_matches(u, list(valid), n=1, cutoff=0.6) for u in unknown
    }
    guesses = [f"`{m[0]}` instead of `{u}`" for u, m in close.items() if m]
    message = (
        f"{owner} got unexpected keyword argument(s) "
        f"{', '.join(repr(u) for u in unknown)}. Valid arguments: "
        f"{', '.join(sorted(valid))}."
    )
    if guesses:
        message += f" Did you mean {', '.join(guesses)}?"
    raise TypeError(message)


def is_number(value):
    """Whether `value` is a real number (not a bool)."""
    return isinstance(value, numbers.Real) and not _is_bool(value)


def checked_signature(function):
    """Decorate a public function so that a wrong call names what is valid.

    Python's own error for an unknown or missing keyword argument ("got an
    unexpected keyword argument 'dropuot'") does not list the valid names; this
    one does, guesses the intended one, and says which arguments are required.
    The signature seen by `inspect.signature`, `help` and the docs is unchanged.
    """
    signature = inspect.signature(function)
    # A class's constructor is named after the class: `LSTMHyperModel`.
    owner = function.__name__
    if owner == "__init__":
        owner = function.__qualname__.split(".")[-2]

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            _explain_call(owner, signature, args, kwargs, exc)
        return function(*args, **kwargs)

    return wrapper


def _explain_call(owner, signature, args, kwargs, exc):
    params = signature.parameters
    names = [
        n
        for n, p in params.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n != "self"
    ]
    has_var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    if not has_var_kw:
        check_kwargs(f"{owner}()", {k: None for k in kwargs if k not in params}, names)
    positional = [
        n
        for n, p in params.items()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(args) > len(positional) and not any(
        p.kind is p.VAR_POSITIONAL for p in params.values()
    ):
        keyword_only = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
        extra = ", ".join(repr(a) for a in args[len(positional) :])
        shown = [n for n in positional if n != "self"]
        takes = ", ".join(f"`{n}`" for n in shown) or "no arguments"
        fix = (
            f"Pass the others by keyword ({', '.join(f'{n}=...' for n in keyword_only)})."
            if keyword_only
            else "Call it without them."
        )
        raise TypeError(
            f"`{owner}` takes {len(shown)} positional argument(s) ({takes}). "
            f"Received: {len(args) - len(positional) + len(shown)}, the extra being "
            f"{extra}. {fix}"
        ) from None
    given = set(positional[: len(args)]) | set(kwargs)
    missing = [
        n
        for n, p in params.items()
        if p.default is p.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and n not in given
    ]
    if missing:
        raise TypeError(
            f"{owner}() is missing the required argument(s) "
            f"{', '.join(f'`{n}`' for n in missing)}. Received: "
            f"{', '.join(sorted(given)) or 'no arguments'}. Pass "
            f"{', '.join(f'{n}=...' for n in missing)} (see help({owner}))."
        ) from None
    raise TypeError(f"{owner}(): {exc}") from None
