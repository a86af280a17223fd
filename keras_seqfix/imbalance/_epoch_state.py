"""When a `PyDataset` that draws per epoch is due its next draw.

Keras does not call the epoch hooks once per epoch trained. Before the first epoch
of `fit`, `evaluate` or `predict` (keras/src/trainers/epoch_iterator.py and
data_adapters/py_dataset_adapter.py, Keras 3.15) it does one of:

- TensorFlow: reads up to two batches for the output signature, then calls
  `on_epoch_end` (`EpochIterator.reset`) with no epoch begun;
- JAX and torch, for a model or loss not built yet: `on_epoch_begin`, one batch
  read to build it, then the same `on_epoch_end`;
- otherwise: that `on_epoch_end` alone.

Then each epoch is `on_epoch_begin`, its batches, `on_epoch_end`; with
`steps_per_epoch` below the number of batches an epoch reads only some of them. A
draw per `on_epoch_end` would throw away the draw the first epoch should train on.

`EpochState` draws anew at the end of a begun epoch once the draw is used up:
every batch of it read since it was drawn (Keras's worker processes read a copy,
so there every begun epoch uses it up). The draw is then made at once, before
Keras restarts its workers. Any other end (Keras's, or a hand-written loop's) is
pending: drawn at the next read from the thread that sent it, dropped if an epoch
begins first. The epoch JAX and torch begin before any other hook, to build the
model, is one of those.
"""

import os
import threading


def _caller():
    return os.getpid(), threading.get_ident()


class EpochState:
    """The epoch hooks' bookkeeping; `end` and `due` say when to draw."""

    def __init__(self):
        self._in_epoch = False
        self._pending = None  # the caller of an end whose draw waits for a read
        self._seen_hook = False
        self._build_step = False
        self._read = set()  # batches of the current draw read so far

    def drawn(self):
        self._read = set()

    def begin(self):
        """Start an epoch; whether it may be Keras's build step."""
        self._build_step = not self._seen_hook
        self._seen_hook = True
        self._in_epoch, self._pending = True, None
        return self._build_step

    def end(self, num_batches, *, workers=False, processes=False):
        """Whether to draw now (then call `drawn`); otherwise it may be pending.

        `workers`: Keras reads the batches ahead in worker threads or processes;
        `processes`: in processes, whose reads are not seen here.
        """
        self._seen_hook = True
        if self._in_epoch:
            self._in_epoch = False
            used_up = processes or len(self._read) >= num_batches
            if self._build_step:
                # Keras's build step reads one batch; a hand-written loop that
                # began with `on_epoch_begin` read them all. One batch, or workers
                # reading ahead, leave the two alike: the draw is kept.
                used_up = used_up and num_batches > 1 and not workers
            if used_up:
                self._pending = None
                return True
            if not self._build_step:
                return False  # part of the draw is still to come
        draw_now = self._pending is not None  # two ends in a row: two draws
        self._pending = _caller()
        return draw_now

    def due(self):
        """Whether a pending draw is due before this thread's read."""
        if self._pending is not None and self._pending == _caller():
            self._pending = None
            return True
        return False

    def note(self, index):
        """Note a read of batch `index` of the current draw."""
        self._read.add(index)
