"""Pinned runs: kept for comparison, written into the address, read back from it, and summed up in a table.

A pin is its settings; its curves come from training them again (the engine is deterministic, and a run
someone trained already is replayed from the shared runs), so the address carries a pin compactly as the
settings that differ from the defaults: `pin=lr~0.1~steps~300`, names and values alternating.
`~` is one of the few characters an address keeps as it is (Streamlit writes the query escaped as Python's
urlencode does), and no setting's name or value holds one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linreg_core.settings import Notice, Settings, format_value, from_query, knobs

PARAM = "pin"
SEP = "~"
MAX_PINS = 5
REACHED_GAP = 0.01  # "steps to reach 1 % of the optimum": the first record with loss − loss* ≤ 1 % of loss*


@dataclass(frozen=True, eq=False)
class Result:
    """What a pinned run did, as its results table says it."""

    final_loss: float | None  # None: no records
    reached: int | None  # the first step within REACHED_GAP of the optimum, None if none was
    diverged_at: int | None  # the step the run was judged diverging at, None if it was not


@dataclass(frozen=True, eq=False)
class PinnedRun:
    """A run kept for comparison: its settings, and once trained its background, decimated curves and result
    (none of those yet for a pin read from an address whose points are not at hand, e.g. an uploaded file)."""

    settings: Settings
    background: str | None = None
    steps: np.ndarray | None = None
    loss: np.ndarray | None = None
    w0: np.ndarray | None = None
    w1: np.ndarray | None = None
    result: Result | None = None

    @property
    def drawn(self) -> bool:
        return self.steps is not None


def encode(settings: Settings) -> str:
    return SEP.join(part for pair in settings.to_query().items() for part in pair)


def decode(text: str, number: int) -> tuple[Settings, list[Notice]]:
    """A pin's settings from its address form, never raising: what cannot be used gets a notice naming the
    pin (`number`, from 1) and the parameter, as the address's own settings do."""
    parts = text.split(SEP) if text else []
    notices = []
    if len(parts) % 2:
        notices.append(Notice(f"pin #{number}", f"ends with a name and no value ({parts[-1][:30]}); it was ignored."))
        parts = parts[:-1]
    params: dict[str, list[str]] = {}
    for name, value in zip(parts[::2], parts[1::2], strict=True):
        params.setdefault(name, []).append(value)
    settings, found = from_query(params)
    return settings, notices + [Notice(f"pin #{number} {n.param}", n.text) for n in found]


def read(values: list[str]) -> tuple[list[PinnedRun], list[Notice]]:
    """The address's pins (at most MAX_PINS, the first ones), untrained."""
    pinned, notices = [], []
    for i, text in enumerate(values[:MAX_PINS], start=1):
        settings, found = decode(text, i)
        pinned.append(PinnedRun(settings))
        notices += found
    if len(values) > MAX_PINS:
        notices.append(Notice(PARAM, f"was given {len(values)} times; the first {MAX_PINS} pins were kept."))
    return pinned, notices


def result(values: np.ndarray, columns: tuple[str, ...], loss_star: float, diverged_at: int | None) -> Result:
    """A run's result from its own records (rows from step 0) and the optimum of the points it trained on."""
    if len(values) == 0:
        return Result(None, None, diverged_at)
    loss = values[:, columns.index("loss")].astype(np.float64)
    within = np.flatnonzero(loss - loss_star <= REACHED_GAP * loss_star)
    return Result(float(loss[-1]), int(within[0]) if len(within) else None, diverged_at)


def trained(settings: Settings, background: str, values: np.ndarray, columns: tuple[str, ...], res: Result,
            points: int) -> PinnedRun:  # fmt: skip
    """A pin of a finished run: its curves at `points` log-spaced steps, so its fast start keeps its shape."""
    from .view_model import log_steps

    idx = np.array(log_steps(len(values), points), dtype=np.int64)
    col = {name: values[idx, i] for i, name in enumerate(columns)}
    return PinnedRun(settings, background, idx.astype(np.float32), col["loss"], col["w0"], col["w1"], res)


def labelled(pinned: list[PinnedRun], current: Settings) -> list[tuple[str, PinnedRun]]:
    """Pinned runs with labels naming what differs among them and the current run (lr, optimizer, …)."""
    said = differences(pinned, current)
    return [(f"#{i} {label}", p) for i, (label, p) in enumerate(zip(said, pinned, strict=True), start=1)]


def differences(pinned: list[PinnedRun], current: Settings) -> list[str]:
    everyone = [p.settings for p in pinned] + [current]
    names = [name for name, *_ in knobs() if len({getattr(s, name) for s in everyone}) > 1] or ["lr"]
    return [
        ", ".join(f"{name.replace('_', ' ')} {format_value(getattr(p.settings, name))}"
                  for name in names if p.settings.applies(name))
        for p in pinned
    ]  # fmt: skip
