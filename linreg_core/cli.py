"""`python -m linreg_core`: the blog's run from the command line, with every setting as a flag."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .data import DataError, Dataset, dataset_from_table, load, read_csv
from .settings import MODES, Settings, SettingsError, add_arguments, clip, knobs
from .words import big, change_text, limit_text, loss_text, rate_text

MAX_ERROR = 300  # characters of an error line: a 100 kB argument is not echoed whole

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise SettingsError(clip(" ".join(message.split()), MAX_ERROR))


def build_parser(settings_type: type = Settings) -> argparse.ArgumentParser:
    """The flags of every declared setting (see settings.py), plus the command line's own options."""
    p = _Parser(
        prog="python -m linreg_core",
        description="Fit y = w0*x + w1 by gradient descent with tf.GradientTape, as in the blog post.",
    )
    add_arguments(p, settings_type)
    p.add_argument("--log-every", type=int, default=100, help="print every this many steps (default %(default)s)")
    p.add_argument(
        "--csv", metavar="PATH",
        help="fit two columns of numbers of this CSV file (implies --data csv); its first row must name the columns "
        "unless --no-header",
    )  # fmt: skip
    p.add_argument(
        "--no-header", action="store_true",
        help="the CSV's first row is data; its columns are then named 'column 1', 'column 2', ...",
    )  # fmt: skip
    p.add_argument("--x-col", metavar="NAME", help="the CSV column for x (default: x if there is one, else the first)")
    p.add_argument("--y-col", metavar="NAME", help="the CSV column for y (default: y if there is one, else the next)")
    p.add_argument("--mode", choices=MODES, default="compiled", help="compiled chunks or the blog's eager loop")
    p.add_argument("--explain", action="store_true", help="also print the optimum and the stable learning rates")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.log_every < 1:
            raise SettingsError(f"log-every must be 1 or more, got {args.log_every}")
        settings = Settings.from_mapping(_with_data_source(args))
        _refuse_unused(settings)
        data = _load(args, settings)
    except (SettingsError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in data.notes:  # how a file was read (rows dropped, no header): stderr keeps the table clean
        print(f"note: {note}", file=sys.stderr)
    if settings.standardize and "standardize" not in settings.non_default():
        source = "--csv" if settings.data == "csv" else f"--data {settings.data}"
        print(f"note: x is standardised by default with {source}; --standardize false trains on the raw x",
              file=sys.stderr)  # fmt: skip

    from .claims import claims, outcome
    from .theory import theory
    from .trainer import TrainingRun  # TensorFlow loads here, after the input is known to be good

    c = claims(theory(data, settings))
    if args.explain:
        for line in explain(c, data):
            print(line)
    run = TrainingRun(data, settings, mode=args.mode)
    last, losses = None, []
    for record in run:
        last = record
        losses.append(record.loss)
        if record.step % args.log_every == 0 or record.step == settings.steps:
            print(_line(record))
    if run.divergence is not None and last is not None and last.step % args.log_every:
        print(_line(last))  # the state where it stopped, whatever the logging interval
    end = outcome(c, losses, run.divergence is not None)
    if end.kind in ("diverged", "growing", "turning"):
        print(_diverged(c, end, run.divergence.cause if run.divergence else None), file=sys.stderr)
        return EXIT_DIVERGED
    if args.explain and last is not None:
        w0, w1 = c.optimum
        print(f"gap to optimum: w0 {last.w0 - w0:+.2e}, w1 {last.w1 - w1:+.2e}")
    return 0


def _line(record) -> str:
    return f"STEP: {record.step} - loss: {record.loss}, w0: {record.w0:.4f}, w1: {record.w1:.4f}"


def explain(c, data: Dataset) -> list[str]:
    """What theory says of the run, in the coordinates it trains in (linreg_core.claims formats here)."""
    s, fit = c.settings, c.theory.fit
    lines = [f"data: {data.source}, n = {data.n}"]
    if not data.generated:
        lines.append(f"x: mean {data.x_mean:.6g}, standard deviation {data.x_std:.6g}")
    w0, w1 = c.optimum
    lines.append(f"least squares: w0* = {w0:.4f}, w1* = {w1:.4f}, loss* = {c.loss_star:.6g}")
    if c.degenerate:
        lines.append("every x is the same: no single line fits best; the run heads for the one nearest its start")
    if c.coords.standardised:
        k = c.coords
        lines.append(f"trained on standardised x' = (x - {k.shift:.6g})/{k.scale:.6g}, with weights "
                     f"v0 = w0*{k.scale:.6g}, v1 = w1 + {k.shift:.6g}*w0; the numbers below are for them")  # fmt: skip
    kappa = "none (a flat valley)" if c.kappa is None else big(c.kappa)
    lines.append(f"Hessian eigenvalues: lambda_min = {fit.lambda_min:.6g}, lambda_max = {fit.lambda_max:.6g}; "
                 f"condition number {kappa}")  # fmt: skip
    o = c.optimizer
    at = f"at lr {rate_text(s.lr)}"
    if c.regime == "exact":
        lines.append(
            f"critical learning rate for {o.label}, {o.formula} = {limit_text(c.bound, 6)} (it diverges above it)"
        )
        if c.fastest is not None:
            f = c.fastest
            span = f" (as fast anywhere from {f.lo:.4g} to {f.hi:.4g})" if f.hi / f.lo > 1.01 else ""
            lines.append(f"fastest learning rate = {f.lr:.6g}{span}")
        lines.append(f"{at}: {c.verdict}; the gap to the optimum loss {change_text(c.factor)}")
    elif c.regime == "mini":
        full, safe = limit_text(c.full_bound, 6), limit_text(c.bound, 6)
        lines.append(f"batches of {c.batch:,} of {c.n_train:,} points: the full-batch bound {full} does not hold; "
                     f"the rate safe in expectation is {safe}")  # fmt: skip
        floor = (
            "" if c.floor is None or c.floor == float("inf") else f" around a noise floor of about {loss_text(c.floor)}"
        )
        verdict = {"settles": "the loss gap falls, then jitters", "edge": "stable in expectation, but near the edge",
                   "unsafe": "past it: it may blow up at any step"}[c.verdict]  # fmt: skip
        lines.append(f"{at}: {verdict}{floor if c.verdict == 'settles' else ''}")
    else:
        lines.append(o.why)
    return lines


def _diverged(c, end, cause: str | None) -> str:
    """How the run diverged, named by the last record printed, and the rate this run is judged by."""
    what = {"weight": "overflowed a weight", "loss": "overflowed the loss"}.get(
        cause, "took the loss past a million times its start"
    )
    if end.kind == "diverged":
        where = (f"diverged: stopped after step {end.step}, loss {loss_text(end.loss)}: the next update {what}"
                 if end.step >= 0 else f"diverged: the first update {what}")  # fmt: skip
    elif end.kind == "growing":
        where = f"diverging: the loss grew from step {end.turn} on, to {loss_text(end.loss)} at step {end.step}"
    else:
        where = f"diverging: the loss has not turned up within {end.step + 1} steps, but at this rate it will"
    if c.regime == "exact":
        bound = (
            f"{c.optimizer.label} on these points is stable only below {c.optimizer.formula} = {limit_text(c.bound)}"
        )
    elif c.regime == "mini":
        bound = f"the rate safe in expectation for batches of {c.batch:,} is {limit_text(c.bound)}"
    else:
        bound = f"no stability bound is known for {c.optimizer.label}"
    return f"{where}; {bound}"


def _with_data_source(args: argparse.Namespace) -> dict:
    """The flags as settings, with `--csv PATH` standing for `--data csv`."""
    values = vars(args).copy()
    if args.csv is not None:
        if args.data not in ("generator", "csv"):  # generator is the default: the person did not ask for it
            raise SettingsError(f"--csv reads your own file; it cannot go with --data {args.data}")
        values["data"] = "csv"
    elif args.data == "csv":
        raise SettingsError("--data csv needs the file: --csv PATH")
    else:
        csv_only = {"--no-header": args.no_header, "--x-col": args.x_col, "--y-col": args.y_col}
        given = [flag for flag, value in csv_only.items() if value]
        if given:
            raise SettingsError(f"{given[0]} applies only with --csv PATH")
    return values


def _refuse_unused(settings: Settings) -> None:
    """A flag that this run would ignore (e.g. --n with a bundled data set) is an error, not a silent no-op."""
    for name, _, default, k in knobs(type(settings)):
        if k.when is not None and not settings.applies(name) and getattr(settings, name) != default:
            other, allowed = k.when
            flag, other_flag = k.flag(name), k.flag(other)
            raise SettingsError(
                f"{flag} applies only with {other_flag} {' or '.join(map(str, allowed))}, "
                f"not {other_flag} {getattr(settings, other)}"
            )


def _load(args: argparse.Namespace, settings: Settings) -> Dataset:
    if settings.data == "csv":
        table = read_csv(args.csv, header=not args.no_header)
        return dataset_from_table(table, args.x_col, args.y_col)
    return load(settings)
