"""`python -m linreg_core`: the blog's run from the command line, with every setting as a flag."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .data import DataError, Dataset, dataset_from_table, load, read_csv
from .settings import MODES, Settings, SettingsError, add_arguments, knobs

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise SettingsError(message)


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

    from .analysis import analyse
    from .trainer import TrainingRun  # TensorFlow loads here, after the input is known to be good

    info = analyse(data)
    if args.explain:
        print(f"data: {data.source}, n = {data.n}")
        if not data.generated:
            print(f"x: mean {data.x_mean:.6g}, standard deviation {data.x_std:.6g}")
        for line in info.lines():
            print(line)
    run = TrainingRun(data, settings, mode=args.mode)
    last = None
    for record in run:
        last = record
        if record.step % args.log_every == 0 or record.step == settings.steps:
            print(f"STEP: {record.step} - loss: {record.loss}, w0: {record.w0:.4f}, w1: {record.w1:.4f}")
    if run.divergence is not None:
        print(f"{run.divergence} (critical learning rate for this data: {info.critical_lr:.4g})", file=sys.stderr)
        return EXIT_DIVERGED
    if args.explain and last is not None:
        print(f"gap to optimum: w0 {last.w0 - info.w0_star:+.2e}, w1 {last.w1 - info.w1_star:+.2e}")
    return 0


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
