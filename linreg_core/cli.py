"""`python -m linreg_core`: the blog's run from the command line, with every setting as a flag."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .data import DataError, from_csv, linear_like
from .settings import MODES, Settings, SettingsError, add_arguments

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
    p.add_argument("--csv", metavar="PATH", help="fit the x,y columns of this CSV (header row) instead")
    p.add_argument("--mode", choices=MODES, default="compiled", help="compiled chunks or the blog's eager loop")
    p.add_argument("--explain", action="store_true", help="also print the optimum and the stable learning rates")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.log_every < 1:
            raise SettingsError(f"log-every must be 1 or more, got {args.log_every}")
        settings = Settings.from_mapping(vars(args))
        data = from_csv(args.csv) if args.csv else linear_like(settings)
    except (SettingsError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from .analysis import analyse
    from .trainer import TrainingRun  # TensorFlow loads here, after the input is known to be good

    info = analyse(data)
    if args.explain:
        print(f"data: {data.source}, n = {data.n}")
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
