"""The blog's GradientTape loop, yielding one immutable record per step.

Two modes walk the same trajectory:
- "eager" is the blog's literal loop: one tape, one `assign_sub` pair and one loss per Python iteration.
- "compiled" runs the very same step functions inside an XLA-compiled `tf.while_loop`, many steps per
  call, and hands back a small history tensor per chunk. One trace serves every n, learning rate, step
  count and data set; XLA compiles once per distinct n.

A record's loss is measured *after* its update, as the blog prints it. The compiled loop gets that for
free: the loss the tape computes at step i+1 is the loss after update i; only a chunk's last step needs
one extra forward pass.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's start-up chatter out of the CLI's output
import tensorflow as tf  # noqa: E402

from .data import Dataset
from .settings import MODES, Settings

MAX_CHUNK = 4096  # rows of the history buffer one compiled call can fill
FIRST_CHUNK = 8  # small, so a page shows its first frame right away
CHUNK_ELEMENTS = 1.5e7  # points × steps per compiled call: ~20 ms of work, under a 30 fps frame, whatever n is
EXPLODE_FACTOR = 1e6  # a loss this many times the starting loss counts as diverged


# ---- the blog's three helpers, unchanged in substance -------------------------------------------


def loss_mse(X, Y, w0, w1):
    """Mean squared error of the line w0·X + w1."""
    Y_hat = w0 * X + w1
    errors = (Y_hat - Y) ** 2
    return tf.reduce_mean(errors)


def compute_gradients(X, Y, w0, w1):
    """The loss and its gradient with respect to both weights, by automatic differentiation."""
    with tf.GradientTape() as tape:
        loss = loss_mse(X, Y, w0, w1)
    dw0, dw1 = tape.gradient(loss, [w0, w1])
    return loss, dw0, dw1


def update_weights(w0, w1, dw0, dw1, learning_rate):
    """One gradient-descent update, in place."""
    w0.assign_sub(dw0 * learning_rate)
    w1.assign_sub(dw1 * learning_rate)
    return w0, w1


# ---- records ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One update: the weights and loss after it, and the gradient it used (taken before it)."""

    step: int
    loss: float
    w0: float
    w1: float
    dw0: float
    dw1: float


@dataclass(frozen=True)
class Divergence:
    step: int
    reason: str

    def __str__(self) -> str:
        return f"diverged at step {self.step}: {self.reason}"


# ---- the compiled loop --------------------------------------------------------------------------


@tf.function(jit_compile=True)
def _train_chunk(X, Y, w0, w1, learning_rate, k, loss_limit):
    """Run up to k steps; stop early at the first non-finite or exploding value.

    Returns (history[MAX_CHUNK, 5] of loss-before, w0, w1, dw0, dw1 per step, rows filled, loss after).
    """
    history = tf.TensorArray(tf.float32, size=MAX_CHUNK, element_shape=[5])

    def step(i, history, going):
        loss, dw0, dw1 = compute_gradients(X, Y, w0, w1)
        update_weights(w0, w1, dw0, dw1, learning_rate)
        row = tf.stack([loss, w0.read_value(), w1.read_value(), dw0, dw1])
        going = tf.logical_and(tf.reduce_all(tf.math.is_finite(row)), loss <= loss_limit)
        return i + 1, history.write(i, row), going

    rows, history, _ = tf.while_loop(
        lambda i, h, going: tf.logical_and(i < k, going), step, (tf.constant(0), history, tf.constant(True))
    )
    return history.stack(), rows, loss_mse(X, Y, w0, w1)


_SPEC = tf.TensorSpec
# One trace for every run: vectors of any length, scalars as tensors, weights as fresh variables.
_train_chunk.get_concrete_function(
    _SPEC([None], tf.float32), _SPEC([None], tf.float32), tf.Variable(0.0), tf.Variable(0.0),
    _SPEC([], tf.float32), _SPEC([], tf.int32), _SPEC([], tf.float32),
)


def tracing_count() -> int:
    """How often the compiled loop was traced (1 after import; a retrace would be a bug)."""
    return _train_chunk.experimental_get_tracing_count()


def chunk_cap(n: int) -> int:
    return int(min(MAX_CHUNK, max(1, 2 ** round(math.log2(CHUNK_ELEMENTS / n)))))


# ---- the run ------------------------------------------------------------------------------------


COLUMNS = ("loss", "w0", "w1", "dw0", "dw1")  # a Block's columns, in order


@dataclass(frozen=True, eq=False)
class Block:
    """Consecutive steps `first`, `first + 1`, … as one read-only float32 table, `COLUMNS` wide.

    What the compiled loop hands back per chunk: the page and the worker move whole blocks, and only
    `records()` turns rows into `Step`s.
    """

    first: int
    values: np.ndarray

    def __post_init__(self) -> None:
        values = np.ascontiguousarray(self.values, dtype=np.float32).reshape(-1, len(COLUMNS))
        values.setflags(write=False)
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def last(self) -> int:
        return self.first + len(self) - 1

    def records(self) -> Iterator[Step]:
        for i, row in enumerate(self.values.tolist()):
            yield Step(self.first + i, *row)


class TrainingRun:
    """Iterate to train: yields `Step` records for steps 0..settings.steps (the blog's range(steps + 1)).
    `blocks()` yields the same steps a chunk at a time.

    Training stops early when the loss or a weight stops being finite, or the loss grows past
    EXPLODE_FACTOR times its starting value; then `divergence` says at which step and why, and no
    record of that step or later is yielded. Iterate once.
    """

    def __init__(self, data: Dataset, settings: Settings, mode: str = "compiled") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.data, self.settings, self.mode = data, settings, mode
        self.divergence: Divergence | None = None
        self._X = tf.constant(data.x)
        self._Y = tf.constant(data.y)
        self._w0 = tf.Variable(settings.init_w0, dtype=tf.float32)
        self._w1 = tf.Variable(settings.init_w1, dtype=tf.float32)
        self.initial_loss: float | None = None  # known once training starts
        self._loss_limit = float(np.finfo(np.float32).max)

    @property
    def total_steps(self) -> int:
        return self.settings.steps + 1

    def __iter__(self) -> Iterator[Step]:
        for block in self.blocks():
            yield from block.records()

    def blocks(self) -> Iterator[Block]:
        return self._eager() if self.mode == "eager" else self._compiled()

    def _start(self, loss: float) -> None:
        self.initial_loss = loss
        if math.isfinite(loss):
            # rounded to float32 so the compiled loop and the check below agree on the boundary
            limit = min(EXPLODE_FACTOR * max(loss, 1e-30), self._loss_limit)
            self._loss_limit = float(np.float32(limit))

    def _usable(self, block: Block) -> Block:
        """The block up to its first unusable row; past it, `divergence` records where and why the run stops."""
        v = block.values
        weights_ok = np.isfinite(v[:, 1:3]).all(axis=1)
        loss_ok = np.isfinite(v[:, 0])
        below = v[:, 0] <= self._loss_limit
        bad = np.flatnonzero(~(weights_ok & loss_ok & below))
        if bad.size == 0:
            return block
        i = int(bad[0])
        step, loss = block.first + i, float(v[i, 0])
        if not weights_ok[i]:
            reason = "a weight overflowed to infinity or NaN"
        elif not loss_ok[i]:
            reason = "the loss overflowed to infinity or NaN"
        else:
            reason = f"the loss grew to {loss:.3g}, over {EXPLODE_FACTOR:.0e} times its start {self.initial_loss:.3g}"
        self.divergence = Divergence(step, reason)
        return Block(block.first, v[:i])

    def _eager(self) -> Iterator[Block]:
        X, Y, w0, w1 = self._X, self._Y, self._w0, self._w1
        lr = self.settings.lr
        self._start(float(loss_mse(X, Y, w0, w1)))
        for step in range(self.total_steps):
            _, dw0, dw1 = compute_gradients(X, Y, w0, w1)
            w0, w1 = update_weights(w0, w1, dw0, dw1, lr)
            loss = float(loss_mse(X, Y, w0, w1))
            block = self._usable(Block(step, [loss, float(w0.numpy()), float(w1.numpy()), float(dw0), float(dw1)]))
            if len(block):
                yield block
            if self.divergence is not None:
                return

    def _compiled(self) -> Iterator[Block]:
        lr = tf.constant(self.settings.lr, tf.float32)
        cap, done, size = chunk_cap(self.data.n), 0, FIRST_CHUNK
        while done < self.total_steps:
            k = min(size, cap, self.total_steps - done)
            limit = tf.constant(self._loss_limit, tf.float32)
            history, rows, loss_after = _train_chunk(self._X, self._Y, self._w0, self._w1, lr, tf.constant(k), limit)
            rows = int(rows)
            h = history.numpy()[:rows]
            if done == 0:  # the tape's first loss is the loss at the starting weights
                self._start(float(h[0, 0]))
            # the loss after update i is the loss the tape saw before update i+1
            h[:, 0] = np.append(h[1:, 0], np.float32(loss_after))
            block = self._usable(Block(done, h))
            if len(block):
                yield block
            if self.divergence is not None:
                return
            if rows < k:  # the loop stops only on a value the check above has already caught
                raise RuntimeError(f"compiled loop stopped at step {done + rows} without a reason")
            done += k
            size *= 2
