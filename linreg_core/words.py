"""Numbers as the page and the command line write them: enough digits to be true, no more.

Shared by the page's texts (dashboard/texts.py) and the command line, so a claim reads the same in both.
"""

from __future__ import annotations

import math

FLOAT32_EPS = 2.0**-23  # the trainer's relative resolution


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def loss_text(value: float) -> str:
    """A loss as the chart's title and table write it: four significant digits, exponent past 1e5 or below
    1e-3 (the run chart's `fmt.loss`, so the status and the chart show one number alike)."""
    text = f"{value:.3e}" if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3) else f"{value:#.4g}"
    if "e" in text:  # JavaScript writes 5.345e+7 where Python writes 5.345e+07
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent):+d}"
    return text.rstrip(".")  # 2962., as Python's # form writes a whole number, is 2962 in JavaScript


def rate_text(rate: float) -> str:
    """A learning rate as the page offers it (four significant digits)."""
    return f"{rate:.4g}"


def limit_text(limit: float, digits: int = 4) -> str:
    """A bound written so that "below it" stays true: its significant digits rounded toward 0."""
    if limit <= 0 or not math.isfinite(limit):
        return f"{limit:.{digits}g}"
    scale = 10 ** (math.floor(math.log10(limit)) - digits + 1)
    # a bound within float32's resolution of a round number is that number: the trainer cannot tell them apart
    return f"{math.floor(limit * (1 + FLOAT32_EPS) / scale) * scale:.{digits}g}"


def big(value: float) -> str:
    """A size people read: 2,814 or 1.2e+12, never a 309-digit integer."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e12:
        return f"{value:.3g}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def factor_text(factor: float) -> str:
    """A per-step factor with enough digits to tell it from 1: 0.9879×, 0.999950×."""
    if factor == 0:
        return "0×"
    if factor >= 2:
        return f"{factor:,.4g}×"
    distance = abs(1 - factor)
    digits = 4 if distance == 0 else max(4, math.ceil(-math.log10(distance)) + 1)
    return f"{factor:.{min(digits, 12)}f}×"


def change_text(factor: float) -> str:
    """What a loss-gap factor does, in words: 'shrinks 0.9879× a step (it halves every 57 steps)'."""
    if factor == 0 or factor < 1e-12:
        return "vanishes in one step (float32's rounding is all that is left)"
    if factor == 1:
        return "stays the same from step to step"
    steps = math.log(0.5 if factor < 1 else 2.0) / math.log(factor)
    verb, half = ("shrinks", "halves") if factor < 1 else ("grows", "doubles")
    if steps < 1:
        return f"{verb} {factor_text(factor)} a step (it more than {half[:-1]}s every step)"
    every = "every step" if steps < 1.5 else f"every {plural(round(steps), 'step')}"
    return f"{verb} {factor_text(factor)} a step (it {half} {every})"


def percent_text(share: float) -> str:
    """A small share as a percentage with two significant digits: 0.012%, 3.4%."""
    pct = 100 * share
    if pct >= 10:
        return f"{pct:.0f}%"
    return f"{pct:.2g}%"
