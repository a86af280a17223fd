"""One helper for renames and old shapes kept working for one release."""

import warnings

#: The release in which what is deprecated now is removed.
REMOVED_IN = "0.3"


def deprecated(what, instead, stacklevel=3):
    """Warn that `what` is deprecated, naming what to use `instead`.

    Args:
        what: the old name or usage, e.g. "`find_lr(num_steps=...)`".
        instead: the replacement, e.g. "`find_lr(probe_steps=...)`".
        stacklevel: passed to `warnings.warn`; the default points at the caller
            of the function that calls `deprecated`.
    """
    warnings.warn(
        f"{what} is deprecated and will be removed in keras_seqfix {REMOVED_IN}. "
        f"Use {instead} instead.",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def renamed_argument(
    function_name, old, new, old_value, new_value, default, stacklevel=3
):
    """The value of an argument renamed from `old` to `new`.

    Call it with both keyword values (`old_value` is `None` when the old name
    was not passed). Passing the old name warns; passing both is an error.

    Args:
        function_name: the public name of the function, for the messages.
        old, new: the old and the new argument names.
        old_value: what was passed as `old`, or `None`.
        new_value: what was passed as `new`.
        default: the default of `new`, to tell whether `new` was passed too.
        stacklevel: where the warning points; the default is the caller of the
            function that calls `renamed_argument`.

    Returns:
        The value to use.

    Raises:
        TypeError: when both `old` and `new` are passed.
    """
    if old_value is None:
        return new_value
    if new_value is not default and new_value != default:
        raise TypeError(
            f"`{function_name}` got both `{old}` (deprecated) and `{new}`. "
            f"Received: {old}={old_value!r}, {new}={new_value!r}. Pass only "
            f"`{new}`."
        )
    deprecated(
        f"`{function_name}({old}=...)`",
        f"`{function_name}({new}=...)`",
        stacklevel=stacklevel + 1,
    )
    return old_value
