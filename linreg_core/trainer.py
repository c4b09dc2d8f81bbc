"""The blog's GradientTape loop, yielding one immutable record per step.

Two modes walk the same trajectory:
- "eager" is the blog's literal loop: one tape, one `assign_sub` pair and one loss per Python iteration.
- "compiled" runs the very same step functions inside an XLA-compiled `tf.while_loop`, many steps per
  call, and hands back a small history tensor per chunk. One trace serves every optimizer, n, learning
  rate, step count, batch size, hold-out and data set; XLA compiles once per distinct n.

Each step takes the tape's gradient on its mini-batch (all training points by default), then lets the
optimizer's rule (from the registry, linreg_core.optimizers) turn it into the blog's `update_weights`. With
the defaults (plain gradient descent, every point, no hold-out) that is the blog's loop exactly.

A record's loss is measured *after* its update, as the blog prints it, over all training points. The
compiled loop gets that for free: the training loss at step i+1's weights is the loss after update i;
only a chunk's last step needs one extra forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from . import quiet
from .dataset import Dataset
from .optimizers import REGISTRY, Hyper, Memory
from .prepare import batch_ids, batches_per_epoch, prepare
from .rules import apply_rule, fresh_memory, rule_index
from .settings import MODES, Settings

tf = quiet.tensorflow()

MAX_CHUNK = 4096  # rows of the history buffer one compiled call can fill
FIRST_CHUNK = 8  # small, so a page shows its first frame right away
FIRST_CHUNK_ELEMENTS = 1e6  # points × steps of a first chunk at most (or one step): at n = 1e6 it takes ~4 ms
CHUNK_ELEMENTS = 1.5e7  # points × steps per compiled call: ~20 ms of work, under a 30 fps frame, whatever n is
EXPLODE_FACTOR = 1e6  # a loss this many times the starting loss counts as diverged
# A compiled call costs ~0.5 ms whatever it does, so one call carries the mini-batches of several epochs:
# a table of batch ids, one row per epoch, up to 64 rows and 2^18 ids. Its shape depends on n alone.
MAX_EPOCHS_PER_CALL = 64
MAX_BATCH_IDS = 2**18

# A Block's columns, in order. loss: MSE over all training points after the update; w0, w1: the weights
# after it, in the data's units; dw0, dw1: the gradient the update used (of its mini-batch's loss, with
# respect to the weights trained: the standardised ones when x is standardised); test_loss: MSE over the
# held-out points after the update, NaN when nothing is held out.
COLUMNS = ("loss", "w0", "w1", "dw0", "dw1", "test_loss")
LOSS, W0, W1, DW0, DW1, TEST_LOSS = range(len(COLUMNS))
FORCE_GENERAL_PROGRAM = False  # tests set it to check the two compiled programs against each other
NO_HOLD_OUT = float("nan")  # test_loss of a run with no held-out points: not a number, not a loss of 0


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


# ---- the same on some of the points: a mini-batch, the training or the held-out points ------------
# The points are picked by a mask, not gathered: the tensors keep length n, so XLA compiles once per n.


def subset_mse(X, Y, members, w0, w1):
    """Mean squared error over the points where `members` (a bool vector) is true."""
    errors = (w0 * X + w1 - Y) ** 2
    return tf.reduce_sum(tf.where(members, errors, 0.0)) / tf.reduce_sum(tf.cast(members, tf.float32))


def batch_gradients(X, Y, members, w0, w1):
    """`compute_gradients` for a mini-batch: the same tape, on the loss of the points in it."""
    with tf.GradientTape() as tape:
        loss = subset_mse(X, Y, members, w0, w1)
    dw0, dw1 = tape.gradient(loss, [w0, w1])
    return loss, dw0, dw1


def training_loss(X, Y, part, held, w0, w1):
    """MSE over the training points. `part` holds each point's mini-batch, -1 for a held-out one; `held`
    says whether any is held out (known once per chunk, so no step pays a pass over `part` for it)."""
    return tf.cond(held, lambda: subset_mse(X, Y, part >= 0, w0, w1), lambda: loss_mse(X, Y, w0, w1))


def held_out_loss(X, Y, part, held, w0, w1):
    return tf.cond(held, lambda: subset_mse(X, Y, part < 0, w0, w1), lambda: tf.constant(NO_HOLD_OUT))


def train_step(X, Y, part, held, per_epoch, t, w0, w1, memory, h, rule):
    """Update number t (from 0): the tape's gradient on its mini-batch, then the step of the optimizer
    numbered `rule` (see rules.rule_index).

    Returns the training and held-out losses at the weights *before* the update, the gradient it used
    and the optimizer's memory after it.
    """
    slot = t % per_epoch  # the mini-batch of this update within its epoch
    full_batch = tf.equal(per_epoch, 1)
    loss, dw0, dw1 = tf.cond(
        tf.logical_and(full_batch, tf.logical_not(held)),
        lambda: compute_gradients(X, Y, w0, w1),  # the blog's own step
        lambda: batch_gradients(X, Y, tf.equal(part, slot), w0, w1),
    )
    # a full batch's loss is already the training loss; a mini-batch's is not
    train = tf.cond(full_batch, lambda: loss, lambda: training_loss(X, Y, part, held, w0, w1))
    test = held_out_loss(X, Y, part, held, w0, w1)
    direction, memory = apply_rule(rule, tf.stack([dw0, dw1]), memory, tf.cast(t + 1, tf.float32), h)
    update_weights(w0, w1, direction[0], direction[1], h.lr)
    return train, test, dw0, dw1, memory


# ---- records ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One update: the weights and loss after it, and the gradient it used (taken before it).

    test_loss is the held-out loss after the update, or None when nothing is held out.
    """

    step: int
    loss: float
    w0: float
    w1: float
    dw0: float
    dw1: float
    test_loss: float | None = None


@dataclass(frozen=True)
class Divergence:
    """Where a run stopped: `step` is the first update that went wrong (no record of it is yielded, so the last
    record is step - 1); `cause` says how ("weight", "loss" overflowed, or the loss "grew" past
    EXPLODE_FACTOR times its start) and `reason` in words."""

    step: int
    reason: str
    cause: str = "grew"

    def __str__(self) -> str:
        return f"diverged at step {self.step}: {self.reason}"


# ---- the compiled loop --------------------------------------------------------------------------


@tf.function(jit_compile=True)
def _train_chunk(X, Y, parts, per_epoch, t0, w0, w1, first, second, hyper, rule, k, loss_limit):
    """Run up to k updates from update number t0; stop early at the first non-finite or exploding value.

    `parts` holds each point's mini-batch (-1: held out), one row per epoch from t0's epoch on; a full
    batch (per_epoch 1) reads row 0 only.

    Returns (history[MAX_CHUNK, COLUMNS] with the losses *before* each update, rows filled, training and
    held-out loss after the last update, the optimizer's memory). Every optimizer runs in this one program
    (`rule` picks it), so XLA compiles it once per n, whatever the optimizer, batch size or hold-out.
    """
    h = Hyper(*tf.unstack(hyper))
    held = tf.reduce_any(parts[0] < 0)  # a constant index: no compile-time value needed
    history = tf.TensorArray(tf.float32, size=MAX_CHUNK, element_shape=[len(COLUMNS)])

    def step(i, history, first, second, going):
        t = t0 + i
        part = tf.gather(parts, tf.where(per_epoch > 1, t // per_epoch - t0 // per_epoch, 0))
        memory = Memory(first, second)
        train, test, dw0, dw1, memory = train_step(X, Y, part, held, per_epoch, t, w0, w1, memory, h, rule)
        row = tf.stack([train, w0.read_value(), w1.read_value(), dw0, dw1, test])
        # the held-out loss is not checked: it is NaN by design when nothing is held out
        going = tf.logical_and(tf.reduce_all(tf.math.is_finite(row[:TEST_LOSS])), train <= loss_limit)
        return i + 1, history.write(i, row), memory.first, memory.second, going

    rows, history, first, second, _ = tf.while_loop(
        lambda i, history, first, second, going: tf.logical_and(i < k, going),
        step,
        (tf.constant(0), history, first, second, tf.constant(True)),
    )
    # the hold-out is the same in every row, so row 0 tells the training points from the held-out ones
    after = (training_loss(X, Y, parts[0], held, w0, w1), held_out_loss(X, Y, parts[0], held, w0, w1))
    return history.stack(), rows, after, first, second


@tf.function(jit_compile=True)
def _blog_chunk(X, Y, w0, w1, learning_rate, k, loss_limit):
    """The blog's step alone, for plain gradient descent on every point (what most runs are): the same
    three functions as the blog, no masks, no optimizer memory. XLA compiles it in ~0.1 s per n and keeps
    ~1 MB per n, against ~0.45 s and ~4 MB for `_train_chunk`, which carries every optimizer.

    Returns what `_train_chunk` returns, with no optimizer memory.
    """
    history = tf.TensorArray(tf.float32, size=MAX_CHUNK, element_shape=[len(COLUMNS)])

    def step(i, history, going):
        loss, dw0, dw1 = compute_gradients(X, Y, w0, w1)
        update_weights(w0, w1, dw0, dw1, learning_rate)
        row = tf.stack([loss, w0.read_value(), w1.read_value(), dw0, dw1, NO_HOLD_OUT])
        going = tf.logical_and(tf.reduce_all(tf.math.is_finite(row[:TEST_LOSS])), loss <= loss_limit)
        return i + 1, history.write(i, row), going

    rows, history, _ = tf.while_loop(
        lambda i, history, going: tf.logical_and(i < k, going), step, (tf.constant(0), history, tf.constant(True))
    )
    return history.stack(), rows, (loss_mse(X, Y, w0, w1), tf.constant(NO_HOLD_OUT))


_INT = tf.TensorSpec([], tf.int32)
# One trace for every run: vectors of any length, scalars as tensors, weights as fresh variables.
_train_chunk.get_concrete_function(
    tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, None], tf.int32),
    _INT, _INT, tf.Variable(0.0), tf.Variable(0.0), tf.TensorSpec([2], tf.float32), tf.TensorSpec([2], tf.float32),
    tf.TensorSpec([len(Hyper._fields)], tf.float32), _INT, _INT, tf.TensorSpec([], tf.float32),
)  # fmt: skip


_blog_chunk.get_concrete_function(
    tf.TensorSpec([None], tf.float32),
    tf.TensorSpec([None], tf.float32),
    tf.Variable(0.0),
    tf.Variable(0.0),
    tf.TensorSpec([], tf.float32),
    _INT,
    tf.TensorSpec([], tf.float32),
)
PROGRAMS = (_blog_chunk, _train_chunk)


def tracing_count() -> int:
    """How often the compiled loops were traced (once each, at import: len(PROGRAMS); more would be a bug)."""
    return sum(program.experimental_get_tracing_count() for program in PROGRAMS)


def chunk_cap(n: int) -> int:
    return int(min(MAX_CHUNK, max(1, 2 ** round(math.log2(CHUNK_ELEMENTS / n)))))


def first_chunk(n: int) -> int:
    """Steps of a run's first compiled call: up to FIRST_CHUNK, fewer where n is large (8 steps of a million
    points take ~20 ms, one ~4 ms), so the first step reaches the page without waiting for seven more."""
    return int(max(1, min(FIRST_CHUNK, FIRST_CHUNK_ELEMENTS // n)))


def epochs_per_call(n: int) -> int:
    """Rows of the batch-id table a compiled call gets: a function of n alone, so no new shape to compile."""
    return max(1, min(MAX_EPOCHS_PER_CALL, MAX_BATCH_IDS // n))


# ---- the run ------------------------------------------------------------------------------------


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
            test = row[TEST_LOSS]
            yield Step(self.first + i, *row[:TEST_LOSS], test_loss=None if math.isnan(test) else test)


class TrainingRun:
    """Iterate to train: yields `Step` records for steps 0..settings.steps (the blog's range(steps + 1)).
    `blocks()` yields the same steps a chunk at a time.

    `prepared` holds the points as trained on (hold-out, standardised x) and the way back to original
    units. Training stops early when the loss or a weight stops being finite, or the loss grows past
    EXPLODE_FACTOR times its starting value; then `divergence` says at which step and why, and no
    record of that step or later is yielded. Iterate once.
    """

    def __init__(self, data: Dataset, settings: Settings, mode: str = "compiled") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.data, self.settings, self.mode = data, settings, mode
        self.divergence: Divergence | None = None
        s = settings
        self.prepared = prepare(data, test_fraction=s.test_fraction, standardize=s.standardize, seed=s.shuffle_seed)
        self._X = tf.constant(self.prepared.x)
        self._Y = tf.constant(self.prepared.y)
        v0, v1 = self.prepared.to_trained(s.init_w0, s.init_w1)
        self._w0 = tf.Variable(v0, dtype=tf.float32)
        self._w1 = tf.Variable(v1, dtype=tf.float32)
        self._hyper = tf.constant([getattr(s, name) for name in Hyper._fields], tf.float32)
        self._rule = tf.constant(rule_index(s.optimizer))
        self.per_epoch = batches_per_epoch(self.prepared.n_train, s.batch_size)
        self._table: tuple[tuple[int, int], tf.Tensor] | None = None  # the last batch-id table, by its epochs
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

    def _part(self, epoch: int) -> np.ndarray:
        """Each point's mini-batch in this epoch (-1: held out)."""
        return batch_ids(self.prepared.held_out, self.settings.batch_size, self.settings.shuffle_seed, epoch)

    def _parts(self, first_epoch: int, epochs: int) -> tf.Tensor:
        """The batch-id table of a compiled call: `epochs` rows from `first_epoch` on, the rest unused.
        Kept while calls stay in the same epochs: at large n an epoch spans many calls, and shuffling a
        million points takes ~20 ms."""
        if self._table is None or self._table[0] != (first_epoch, epochs):
            table = np.full((epochs_per_call(self.data.n), self.data.n), -1, dtype=np.int32)
            for row in range(epochs):
                table[row] = self._part(first_epoch + row)
            self._table = ((first_epoch, epochs), tf.constant(table))
        return self._table[1]

    def _start(self, loss: float) -> None:
        self.initial_loss = loss
        if math.isfinite(loss):
            # rounded to float32 so the compiled loop and the check below agree on the boundary
            limit = min(EXPLODE_FACTOR * max(loss, 1e-30), self._loss_limit)
            self._loss_limit = float(np.float32(limit))

    def _block(self, first: int, rows: np.ndarray) -> Block:
        """Rows of trained weights as a Block in the data's units, cut at the first unusable row."""
        if self.prepared.standardised:
            w0, w1 = self.prepared.to_original(rows[:, W0].astype(np.float64), rows[:, W1].astype(np.float64))
            with np.errstate(over="ignore", invalid="ignore"):  # a diverged weight stays inf or NaN, as it was
                rows[:, W0], rows[:, W1] = w0, w1
        return self._usable(Block(first, rows))

    def _usable(self, block: Block) -> Block:
        """The block up to its first unusable row; past it, `divergence` records where and why the run stops."""
        v = block.values
        weights_ok = np.isfinite(v[:, [W0, W1]]).all(axis=1)
        loss_ok = np.isfinite(v[:, LOSS])
        below = v[:, LOSS] <= self._loss_limit
        bad = np.flatnonzero(~(weights_ok & loss_ok & below))
        if bad.size == 0:
            return block
        i = int(bad[0])
        step, loss = block.first + i, float(v[i, LOSS])
        if not weights_ok[i]:
            cause, reason = "weight", "a weight overflowed to infinity or NaN"
        elif not loss_ok[i]:
            cause, reason = "loss", "the loss overflowed to infinity or NaN"
        else:
            cause = "grew"
            reason = f"the loss grew to {loss:.3g}, over {EXPLODE_FACTOR:.0e} times its start {self.initial_loss:.3g}"
        self.divergence = Divergence(step, reason, cause)
        return Block(block.first, v[:i])

    def _eager(self) -> Iterator[Block]:
        """The blog's loop: one update, then the loss after it, per Python iteration."""
        X, Y, w0, w1 = self._X, self._Y, self._w0, self._w1
        h, rule, memory = Hyper(*tf.unstack(self._hyper)), self._rule, fresh_memory()
        part, held = tf.constant(self._part(0)), tf.constant(bool(self.prepared.held_out.any()))
        self._start(float(training_loss(X, Y, part, held, w0, w1)))
        for step in range(self.total_steps):
            epoch, slot = divmod(step, self.per_epoch)
            if slot == 0 and epoch > 0 and self.per_epoch > 1:
                part = tf.constant(self._part(epoch))
            _, _, dw0, dw1, memory = train_step(X, Y, part, held, self.per_epoch, step, w0, w1, memory, h, rule)
            loss, test = training_loss(X, Y, part, held, w0, w1), held_out_loss(X, Y, part, held, w0, w1)
            row = np.array([[loss, w0.numpy(), w1.numpy(), dw0, dw1, test]], dtype=np.float32)
            block = self._block(step, row)
            if len(block):
                yield block
            if self.divergence is not None:
                return

    @property
    def blog_step(self) -> bool:
        """The blog's own update (plain steps along the gradient) on every training point, run by its own program."""
        return REGISTRY[self.settings.optimizer].plain and self.per_epoch == 1 and not self.prepared.held_out.any()

    def _chunk(self, done: int, k: int, memory, parts):
        limit = tf.constant(self._loss_limit, tf.float32)
        if parts is None:  # the blog's program
            lr = tf.constant(self.settings.lr, tf.float32)
            history, rows, after = _blog_chunk(self._X, self._Y, self._w0, self._w1, lr, tf.constant(k), limit)
            return history, rows, after, memory
        history, rows, after, *memory = _train_chunk(
            self._X, self._Y, parts, tf.constant(self.per_epoch), tf.constant(done), self._w0, self._w1,
            *memory, self._hyper, self._rule, tf.constant(k), limit,
        )  # fmt: skip
        return history, rows, after, memory

    def _compiled(self) -> Iterator[Block]:
        cap, done, size = chunk_cap(self.data.n), 0, first_chunk(self.data.n)
        memory = fresh_memory()
        # the blog's program needs no batch-id table; a full batch keeps its table all run
        parts = None if self.blog_step and not FORCE_GENERAL_PROGRAM else self._parts(0, 1)
        while done < self.total_steps:
            epoch, slot = divmod(done, self.per_epoch)
            k = min(size, cap, self.total_steps - done)
            if self.per_epoch > 1:
                # a chunk reaches as far as its table of epochs
                k = min(k, epochs_per_call(self.data.n) * self.per_epoch - slot)
                parts = self._parts(epoch, -(-(slot + k) // self.per_epoch))
            history, rows, after, memory = self._chunk(done, k, memory, parts)
            rows = int(rows)
            h = history.numpy()[:rows]
            if done == 0:  # the first row's loss is the loss at the starting weights
                self._start(float(h[0, LOSS]))
            # the loss after update i is the loss the loop measured before update i+1
            for column, last in zip((LOSS, TEST_LOSS), after, strict=True):
                h[:, column] = np.append(h[1:, column], np.float32(float(last)))
            block = self._block(done, h)
            if len(block):
                yield block
            if self.divergence is not None:
                return
            if rows < k:  # the loop stops only on a value the check above has already caught
                raise RuntimeError(f"compiled loop stopped at step {done + rows} without a reason")
            done += k
            size *= 2
