"""Drops TensorFlow's C++ log lines from the `keras-seqfix` command's stderr.

TensorFlow 2.21 logs through absl before absl is initialised, and such lines go
to stderr whatever `TF_CPP_MIN_LOG_LEVEL` says ("oneDNN custom operations are
on", "failed call to cuInit", "oneDNN supports DT_BOOL only ..."). The command
owns its process, so it routes file descriptor 2 through a pipe and forwards
every line except those (`I0000 00:00:...`-style lines, absl's own warning and
TensorFlow's CPU-instruction notice). The library never does this: it is
installed only by the command, before Keras is imported (see
`keras_seqfix/__init__.py`), and `restore()` puts the real stderr back.
"""

import os
import re
import sys
import threading

_NATIVE = re.compile(
    rb"^([IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ \S+:\d+\]"
    rb"|WARNING: All log messages before absl::InitializeLog"
    rb"|To enable the following instructions: .* rebuild TensorFlow)"
)

_state = {}


def install():
    """Route fd 2 through the filter (once per process)."""
    if _state:
        return
    try:
        real = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
    except OSError:  # no usable stderr (a closed fd 2): leave it as it is
        return

    def pump():
        with (
            os.fdopen(read, "rb") as source,
            os.fdopen(os.dup(real), "wb", buffering=0) as target,
        ):
            for line in source:
                if not _NATIVE.match(line):
                    target.write(line)

    thread = threading.Thread(target=pump, name="native-log-filter", daemon=True)
    thread.start()
    _state.update(real=real, thread=thread)


def restore():
    """Put the real stderr back and forward what is still in the pipe."""
    if not _state:
        return
    sys.stderr.flush()
    os.dup2(_state["real"], 2)  # closes the pipe's last write end: EOF
    _state["thread"].join(timeout=5)
    os.close(_state.pop("real"))
    _state.clear()
