"""What a person can take away from a run, as text: its trajectory and its points as CSV, and a script that
reruns it with the blog's loop. Pure functions: the page only offers their results for download.

The CSV files are safe to open in a spreadsheet. A spreadsheet runs a text cell that starts with =, +, -, @
(or a tab or carriage return before them) as a formula, and the column names of an uploaded file are text
anyone could have written, so such a cell gets a leading ' (which a spreadsheet shows as text). Numbers are
written as numbers: -1.5 is a number there, not a formula.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import optimizers
from .data import Dataset, linear_like
from .prepare import batches_per_epoch, held_out_count
from .settings import Settings

TRAJECTORY_COLUMNS = ("step", "loss", "w0", "w1", "dw0", "dw1")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINE_END = "\r\n"  # RFC 4180's, and what spreadsheets expect
EMBED_AS_TEXT = 2_000  # points up to which a script lists the values readably; beyond, base64 keeps it small
LOG_EVERY = 100  # the blog's table, as `python -m linreg_core` prints it by default


class ExportError(ValueError):
    """This run cannot be exported as asked; the message says why."""


# ---- cells --------------------------------------------------------------------------------------


def text_cell(text: Any) -> str:
    """A text cell a spreadsheet shows as text and never runs as a formula."""
    text = str(text)
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def number_cells(values: Any) -> list[str]:
    """Numbers as the shortest text that reads back to the same float32 (the trainer's precision).

    A value that is not a float32 at all is written in full, so it too reads back exactly. Infinity and
    NaN, which are text to a spreadsheet, go through `text_cell`.
    """
    v64 = np.asarray(values, dtype=np.float64).reshape(-1)
    with np.errstate(over="ignore"):
        v32 = v64.astype(np.float32)
    text = v32.astype(str)  # NumPy writes each float32 in the fewest digits that identify it
    with np.errstate(invalid="ignore"):
        exact = (v32.astype(np.float64) == v64) & (text.astype(np.float64).astype(np.float32) == v32)
    exact &= np.isfinite(v64)
    cells = text.tolist()
    for i in np.flatnonzero(~exact):
        cells[i] = repr(float(v64[i])) if np.isfinite(v64[i]) else text_cell(str(v64[i]))
    return cells


def _csv(header: Iterable[str], columns: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=LINE_END).writerow([text_cell(h) for h in header])
    # numbers never need quoting, so rows are joined directly, several times faster than csv.writer
    out.writelines(",".join(row) + LINE_END for row in zip(*columns, strict=True))
    return out.getvalue()


# ---- the two CSV files ---------------------------------------------------------------------------


def trajectory_csv(records: Iterable[Any] | Mapping[str, Any]) -> str:
    """step, loss, w0, w1, dw0, dw1 per step, from the trainer's records (Steps, or Blocks of them) or from
    a mapping of those six names to equally long sequences."""
    if isinstance(records, Mapping):
        table = {name: np.asarray(records[name]).reshape(-1) for name in TRAJECTORY_COLUMNS}
        if len({v.size for v in table.values()}) > 1:
            raise ExportError("the trajectory's columns have different lengths")
    else:
        rows = [tuple(getattr(r, name) for name in TRAJECTORY_COLUMNS) for r in _steps(records)]
        table = {name: np.array([row[i] for row in rows]) for i, name in enumerate(TRAJECTORY_COLUMNS)}
    steps = [str(int(s)) for s in table["step"]]
    return _csv(TRAJECTORY_COLUMNS, [steps] + [number_cells(table[name]) for name in TRAJECTORY_COLUMNS[1:]])


def _steps(records: Iterable[Any]) -> Iterable[Any]:
    for item in records:
        if hasattr(item, "records"):  # a trainer Block: consecutive steps in one table
            yield from item.records()
        else:
            yield item


def data_csv(dataset: Dataset) -> str:
    """The points, under the data set's own column names (x and y for generated points)."""
    return _csv((dataset.x_name, dataset.y_name), [number_cells(dataset.x), number_cells(dataset.y)])


# ---- the script ----------------------------------------------------------------------------------


def reproduce_script(settings: Settings, dataset: Dataset) -> str:
    """A standalone Python script (NumPy and TensorFlow only) that rebuilds this run's points, float32 for
    float32, and runs the blog's eager GradientTape loop on them with the run's optimizer, printing the lines
    `python -m linreg_core --mode eager` prints. Generated points are drawn again from their seed; any other
    points are written into the script. Held-out points, standardised x and mini-batches are prepared as the
    lab prepares them (linreg_core.prepare), written out in NumPy."""
    _check_reproducible(settings, dataset)
    packed = settings.data != "generator" and dataset.n > EMBED_AS_TEXT
    prepared = _prepared(settings, dataset)
    return "\n".join([
        *_script_header(settings, dataset),
        "",
        *(["import base64"] if packed else []),
        "import math",
        "import os",
        "import sys",
        "",
        'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow\'s start-up log out of the table',
        "",
        "import numpy as np  # noqa: E402",
        "import tensorflow as tf  # noqa: E402",
        "",
        *_data_block(settings, dataset),
        "",
        _LOOP.format(steps=settings.steps, lr=repr(settings.lr), log_every=LOG_EVERY,
                     **_optimizer_block(settings), **prepared),
    ])  # fmt: skip


def _optimizer_block(settings: Settings) -> dict[str, str]:
    """The optimizer's part of the loop, from its registry entry: its settings and running state before the
    loop, its lines between the gradient and the blog's update_weights. None for the blog's own rule."""
    o = optimizers.get(settings.optimizer)
    if o.plain:
        return {"before": "", "step": "    w0, w1 = update_weights(w0, w1, dw0, dw1, learning_rate)"}
    hyper = "".join(f"{name} = tf.constant({getattr(settings, name)!r}, tf.float32)\n" for name in o.hyper)
    state = "".join(f"{name} = tf.zeros([2])\n" for name in o.script_state)
    lines = [
        "    # the gradient as a 2-vector, turned into the step by the optimizer, as the lab's registry writes it",
        "    g = tf.stack([dw0, dw1])",
        *(
            ["    t = tf.constant(step + 1, tf.float32)  # the update's number, from 1"]
            * bool(re.search(r"\bt\b", o.script))
        ),
        *(f"    {line}" for line in o.script.splitlines()),
        "    w0, w1 = update_weights(w0, w1, g[0], g[1], learning_rate)",
    ]
    return {"before": f"\n# {o.label}: {o.summary}\n{hyper}{state}", "step": "\n".join(lines)}


def _prepared(settings: Settings, dataset: Dataset) -> dict[str, str]:
    """The script's parts that prepare the points as the lab does (linreg_core.prepare): held-out points,
    standardised x, mini-batches; each part is there only when the run uses it, so the blog's run reads as
    the blog's."""
    s = settings
    held = held_out_count(dataset.n, s.test_fraction)
    per_epoch = batches_per_epoch(dataset.n - held, s.batch_size)
    lines = []
    if held:
        lines += [
            f"# {held:,} of the {dataset.n:,} points are held out: the first {held:,} of a shuffle seeded with",
            "# (shuffle seed, 0); the loss printed is over the others, the training points.",
            "held = np.zeros(x.size, dtype=bool)",
            f"held[np.random.default_rng([{s.shuffle_seed}, 0]).permutation(x.size)[:{held}]] = True",
            "train = ~held",
        ]
    if s.standardize:
        lines += [
            "# x standardised with the training points' mean and spread: the weights trained are v0, v1 of the",
            "# line v0*x' + v1; the table prints them as w0 = v0/scale, w1 = v1 - v0*shift/scale, for x itself.",
            f"shift = float(x{'[train]' if held else ''}.astype(np.float64).mean())",
            f"scale = float(x{'[train]' if held else ''}.astype(np.float64).std()) or 1.0",
            "x = ((x.astype(np.float64) - shift) / scale).astype(np.float32)",
        ]
    if per_epoch > 1:
        lines += [
            "",
            "",
            "def batch_of_each_point(epoch):",
            '    """Each training point\'s mini-batch in this epoch: a shuffle seeded with (shuffle seed, 1, epoch),',
            f'    cut into batches of {s.batch_size:,}; -1 for a held-out point."""',
            f"    index = np.flatnonzero({'train' if held else 'np.ones(x.size, dtype=bool)'})",
            f"    order = np.random.default_rng([{s.shuffle_seed}, 1, epoch]).permutation(index.size)",
            "    batch = np.full(x.size, -1)",
            f"    batch[index[order]] = np.arange(index.size) // {s.batch_size}",
            "    return batch",
        ]
    subset = bool(held) or per_epoch > 1
    if per_epoch > 1:
        gradient = [
            f"    epoch, slot = divmod(step, {per_epoch})  # {per_epoch} mini-batches an epoch",
            "    if slot == 0:",
            "        batch = batch_of_each_point(epoch)",
            "    dw0, dw1 = subset_gradients(X, Y, tf.constant(batch == slot), w0, w1)",
        ]
    elif held:
        gradient = ["    dw0, dw1 = subset_gradients(X, Y, TRAIN, w0, w1)"]
    else:
        gradient = ["    dw0, dw1 = compute_gradients(X, Y, w0, w1)"]
    loss = "subset_loss(X, Y, TRAIN, w0, w1)" if held else "loss_mse(X, Y, w0, w1)"
    return {
        "prepare": "\n# ---- the points as the lab prepares them ----\n\n" + "\n".join(lines) + "\n\n" if lines else "",
        "subset": _SUBSET if subset else "",
        "train_mask": "TRAIN = tf.constant(train)\n" if held else "",
        "start_w0": f"{s.init_w0!r} * scale" if s.standardize else repr(s.init_w0),
        "start_w1": f"{s.init_w1!r} + {s.init_w0!r} * shift" if s.standardize else repr(s.init_w1),
        "gradient": "\n".join(gradient),
        "loss": loss,
        "shown": (
            "    v0, v1 = float(w0.numpy()), float(w1.numpy())\n"
            "    shown_w0, shown_w1 = np.float32(v0 / scale), np.float32(v1 - v0 * (shift / scale))"
            if s.standardize
            else "    shown_w0, shown_w1 = w0.numpy(), w1.numpy()"
        ),
    }


def _check_reproducible(settings: Settings, dataset: Dataset) -> None:
    if settings.data == "generator":
        again = linear_like(settings)
        if not (np.array_equal(again.x, dataset.x) and np.array_equal(again.y, dataset.y)):
            raise ExportError("these points are not the ones the generator makes with these settings")


def command(settings: Settings, dataset: Dataset | None = None, *, header: bool = True) -> list[str]:
    """The command line that reruns these settings, as arguments: `python -m linreg_core` and the flags that
    differ from the defaults. For a CSV file (`dataset`, read with or without a header row) it names the file
    and both columns, so the command fits the very columns the page fitted."""
    args = settings.cli_args()
    if settings.data == "csv" and dataset is not None:  # the lab reads the file itself: --csv for --data csv
        i = args.index("--data")
        args[i : i + 2] = [
            "--csv", dataset.source, *([] if header else ["--no-header"]),
            "--x-col", dataset.x_name, "--y-col", dataset.y_name,
        ]  # fmt: skip
    return ["python", "-m", "linreg_core", *args]


def _script_header(settings: Settings, dataset: Dataset) -> list[str]:
    # Every text that came from a file (its name, its column names) goes into a comment with its line breaks
    # removed, so nothing in it can become code.
    about = [f"# {_comment(dataset.description)}"] if dataset.description else []
    return [
        "# Rerun of a GradientTape Lab run, with the blog's loop: python this_file.py (needs numpy and tensorflow).",
        f"# Data: {_comment(dataset.title)}: {_comment(dataset.x_label)} -> {_comment(dataset.y_label)}, "
        f"{dataset.n:,} points.",
        *about,
        f"# The same run in the lab: {_comment(shlex.join(command(settings, dataset)))}",
        "# It prints the lines the lab prints with --mode eager. The lab's default compiled mode adds up the",
        "# loss in another order, so the last digits of a loss (rarely a weight's 4th decimal) can differ.",
    ]


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in str(text))


def _data_block(settings: Settings, dataset: Dataset) -> list[str]:
    if settings.data == "generator":
        s = settings
        draw = "rng.random" if s.noise_kind == "uniform" else "rng.standard_normal"
        return [
            "# The blog's linear_like_data_generator, seeded as the lab seeds it (NumPy's PCG64 stream): the same",
            "# draws on every machine, x before the noise.",
            f"rng = np.random.default_rng({s.seed})",
            f"x = 2.0 * rng.random({s.n})",
            f"noise = {draw}({s.n})",
            f"y = {s.w0!r} * x + {s.w1!r} + {s.noise!r} * noise",
            "x, y = x.astype(np.float32), y.astype(np.float32)  # the lab trains in float32",
        ]
    return [
        f"# The {dataset.n:,} points, float32 exactly as the lab trained on them.",
        f"x = {_float32_literal(dataset.x)}",
        f"y = {_float32_literal(dataset.y)}",
    ]


def _float32_literal(values: np.ndarray) -> str:
    if values.size > EMBED_AS_TEXT:
        # little-endian float32 bytes: exact, and a third the size of the numbers written out
        text = base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")
        lines = "\n".join(f'    "{text[i : i + 100]}"' for i in range(0, len(text), 100))
        return f'np.frombuffer(base64.b64decode(\n{lines}\n), dtype="<f4")'
    cells = number_cells(values)  # each reads back to the same float32
    rows = [", ".join(cells[i : i + 8]) for i in range(0, len(cells), 8)]
    return "np.array([\n" + "".join(f"    {row},\n" for row in rows) + "], dtype=np.float32)"


_SUBSET = '''

def subset_loss(X, Y, members, w0, w1):
    """loss_mse over the points where `members` is true: a mini-batch, or the training points"""
    errors = (w0 * X + w1 - Y) ** 2
    return tf.reduce_sum(tf.where(members, errors, 0.0)) / tf.reduce_sum(tf.cast(members, tf.float32))


def subset_gradients(X, Y, members, w0, w1):
    """compute_gradients on those points alone"""
    with tf.GradientTape() as tape:
        loss = subset_loss(X, Y, members, w0, w1)
    return tape.gradient(loss, [w0, w1])
'''

_LOOP = '''{prepare}
# ---- the blog's three helpers ----


def loss_mse(X, Y, w0, w1):
    """Compute mean squared error"""
    Y_hat = w0 * X + w1
    errors = (Y_hat - Y) ** 2
    return tf.reduce_mean(errors)


def compute_gradients(X, Y, w0, w1):
    """Compute gradient of loss function w.r.t weights"""
    with tf.GradientTape() as tape:
        loss = loss_mse(X, Y, w0, w1)
    return tape.gradient(loss, [w0, w1])


def update_weights(w0, w1, dw0, dw1, learning_rate):
    """Updates weights using gradient descent algorithm."""
    w0.assign_sub(dw0 * learning_rate)
    w1.assign_sub(dw1 * learning_rate)
    return w0, w1

{subset}
# ---- the blog's training loop ----

X, Y = tf.constant(x), tf.constant(y)
{train_mask}steps = {steps}
learning_rate = {lr}
w0 = tf.Variable({start_w0}, dtype=tf.float32)
w1 = tf.Variable({start_w1}, dtype=tf.float32)
{before}
# The lab stops a run whose loss or weights overflow, or whose loss grows a million times past its start.
start = float({loss})
limit = float(np.finfo(np.float32).max)
if math.isfinite(start):
    limit = float(np.float32(min(1e6 * max(start, 1e-30), limit)))

for step in range(steps + 1):
{gradient}
{step}
    # float(): today's NumPy prints a float32 in its shortest form; the blog's table shows it in full
    loss = float({loss})
{shown}
    if not (math.isfinite(loss) and math.isfinite(float(shown_w0)) and math.isfinite(float(shown_w1))):
        sys.exit(f"diverged at step {{step}}: the loss or a weight overflowed")
    if loss > limit:
        sys.exit(f"diverged at step {{step}}: the loss grew to {{loss:.3g}}, a million times its start")
    if step % {log_every} == 0 or step == steps:
        print(f"STEP: {{step}} - loss: {{loss}}, w0: {{shown_w0:.4f}}, w1: {{shown_w1:.4f}}")
'''
