"""One settings object for every front end: the page's sliders, the URL and the command line."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

NOISE_KINDS = ("uniform", "gaussian")
MODES = ("compiled", "eager")
MAX_N = 1_000_000
MAX_STEPS = 10_000


class SettingsError(ValueError):
    """A setting a person chose is out of range; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Every knob of a run, with the blog's values as defaults.

    The names are the command line's flags with underscores, and the page's widget keys.
    `steps` counts like the blog's `range(steps + 1)`: steps=1000 makes 1001 updates, logged 0..1000.
    """

    n: int = 100
    w0: float = 3.0
    w1: float = 4.0
    noise: float = 0.5
    noise_kind: str = "uniform"
    seed: int = 0
    steps: int = 1000
    lr: float = 0.02
    init_w0: float = 0.0
    init_w1: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise SettingsError(f"{f.name} must be a finite number, got {value}")
        if not 1 <= self.n <= MAX_N:
            raise SettingsError(f"n must be between 1 and {MAX_N:,}, got {self.n}")
        if self.noise < 0:
            raise SettingsError(f"noise must be 0 or more, got {self.noise}")
        if self.noise_kind not in NOISE_KINDS:
            raise SettingsError(f"noise kind must be one of {', '.join(NOISE_KINDS)}, got {self.noise_kind!r}")
        if self.seed < 0:
            raise SettingsError(f"seed must be 0 or more, got {self.seed}")
        if not 0 <= self.steps <= MAX_STEPS:
            raise SettingsError(f"steps must be between 0 and {MAX_STEPS:,}, got {self.steps}")
        if self.lr <= 0:
            raise SettingsError(f"learning rate must be greater than 0, got {self.lr}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Build from loose values (strings from a URL, numbers from widgets); unknown keys are ignored.

        Raises SettingsError naming the first value that does not parse.
        """
        defaults = cls()
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in values:
                kwargs[f.name] = _coerce(f.name, values[f.name], type(getattr(defaults, f.name)))
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def changed(self, **kwargs: Any) -> Settings:
        return replace(self, **kwargs)

    def data_part(self) -> Settings:
        """These settings with the training knobs at their defaults: a key for everything that depends
        on the data alone, so a new learning rate does not regenerate a million points."""
        d = Settings()
        return replace(self, steps=d.steps, lr=d.lr, init_w0=d.init_w0, init_w1=d.init_w1)

    def cli_args(self) -> list[str]:
        """The command line that reproduces this run (only the flags that differ from the defaults)."""
        default = Settings()
        args: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                args += [f"--{f.name.replace('_', '-')}", f"{value:g}" if isinstance(value, float) else str(value)]
        return args


def _coerce(name: str, raw: Any, kind: type) -> Any:
    if kind is str:
        return str(raw)
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if kind is int:
        if not number.is_integer():
            raise SettingsError(f"{name} must be a whole number, got {raw!r}")
        return int(number)
    return number
