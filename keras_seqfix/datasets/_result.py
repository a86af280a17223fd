"""What the loaders return: `((x_train, y_train), (x_test, y_test))`, named classes."""

from keras_seqfix._deprecation import deprecated


class LoadedSplits(tuple):
    """`((x_train, y_train), (x_test, y_test))`, as `keras.datasets` returns it.

    A plain 2-tuple with one more attribute, `class_names` (a list indexed by
    class id), as Keras's `image_dataset_from_directory` datasets have:

        data = ksf.load_ucr("GunPoint")
        (x_train, y_train), (x_test, y_test) = data
        data.class_names
    """

    class_names: list

    def __new__(cls, train, test, class_names):
        splits = super().__new__(cls, (train, test))
        splits.class_names = list(class_names)
        return splits

    def __reduce__(self):
        return (type(self), (self[0], self[1], self.class_names))


def with_class_names(function_name, splits, return_class_names):
    """`splits`, or for the deprecated `return_class_names=True` a 3-tuple."""
    if return_class_names is None:
        return splits
    deprecated(
        f"`{function_name}(return_class_names=...)`",
        f"the `class_names` attribute of the result: `data = {function_name}(...)`, "
        "`(x_train, y_train), (x_test, y_test) = data`, `data.class_names`",
        stacklevel=5,  # the user's call (through `checked_signature`)
    )
    if return_class_names:
        return (splits[0], splits[1], splits.class_names)
    return splits
