"""Every setting of a run, declared once: its default, range, scale, label and help.

The declaration is field metadata on one frozen dataclass. Everything else is derived from it:
- the checks (`Settings.__post_init__`),
- the command line's flags (`add_arguments`),
- the page's widgets (the `dashboard` package walks `knobs()`),
- the URL (`from_query` reads it leniently, `to_query` writes it back).
A setting added here appears in all of them with no second list to keep in step.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from . import optimizers

MAX_N = 1_000_000
MODES = ("compiled", "eager")  # the trainer's two ways of running the same loop
OPTIMIZERS = optimizers.KEYS  # the registry's update rules (linreg_core.optimizers)
MAX_STEPS = 10_000
FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # smallest normal float32: below it a rate rounds to 0 or loses bits
FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_QUERY_VALUE = 64  # characters; a longer URL value is not a number anyone typed


class SettingsError(ValueError):
    """A setting a person chose is out of range; the message says which and why. `rule` is the why alone
    ("must be a whole number"), for a notice that names the setting its own way."""

    def __init__(self, message: str, rule: str = "") -> None:
        super().__init__(message)
        self.rule = rule


def _refused(name: str, rule: str, raw: Any) -> SettingsError:
    return SettingsError(f"{name} {rule}, got {_shown(raw)}", rule)


def grid(lo_exp: int, hi_exp: int, mantissas: Sequence[float]) -> tuple[float, ...]:
    """Log-spaced slider stops: each mantissa times each power of ten from 10^lo_exp to 10^hi_exp."""
    return tuple(float(f"{m}e{e}") for e in range(lo_exp, hi_exp + 1) for m in mantissas)


@dataclass(frozen=True)
class Knob:
    """How one setting is shown, parsed and checked. `lo`/`hi` bound numbers (inclusive) everywhere.

    widget: "slider" (linear, `step`), "grid" (a select slider over `stops`, which any in-range value may
    join), "number" (typed entry), "choice" (one of `choices`), "toggle" (a bool: on or off).
    `part`: "data" settings change the points; "train" settings change only how they are fitted.
    `when`: shown and used only when another setting has one of some values, e.g. ("data", ("generator",)).
    """

    label: str
    help: str
    group: str
    widget: str = "slider"
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    stops: tuple[float, ...] = ()
    choices: tuple[str, ...] = ()
    part: str = "train"
    when: tuple[str, tuple[Any, ...]] | None = None

    def flag(self, name: str) -> str:
        return "--" + name.replace("_", "-")


def knob(default: Any, **kw: Any) -> Any:
    return field(default=default, metadata={"knob": Knob(**kw)})


# ---- the declaration --------------------------------------------------------------------------

DATA, DESCENT, START = "Data", "Gradient descent", "Starting weights"
N_STOPS = tuple(int(v) for v in grid(0, 6, (1, 2, 5)) if v <= MAX_N)
STEP_STOPS = (0,) + tuple(int(v) for v in grid(0, 4, (1, 1.5, 2, 3, 5, 7)) if v <= MAX_STEPS)
# fifteen rates a decade: fine enough to walk up to a critical rate without jumping far past it
LR_STOPS = grid(-4, 0, (1, 1.2, 1.5, 1.8, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9)) + (10.0,)
# the `data` setting's values; linreg_core.data loads each of them
DATA_CHOICES = ("generator", "anscombe-1", "anscombe-2", "anscombe-3", "anscombe-4", "tips", "iris", "hubble", "csv")
GENERATOR = ("data", ("generator",))  # `when` of the generator's own settings: they make no other data
READERS = ("optimizer", None)  # `when` of an optimizer's own setting: the optimizers whose registry entry reads it
# decay rates live near 1, where a linear slider has no room: these are the values people try
DECAY_STOPS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999)
BATCH_STOPS = (0,) + tuple(int(v) for v in grid(0, 6, (1, 2, 5)) if v <= MAX_N)
# Sources whose x sits far from 0 for its spread: on their raw x the blog's rate 0.02 is above the critical
# rate, so a first visit would diverge. They train on standardised x unless a person says otherwise (the
# page says so, with one click back). A person's file may be anything, so it starts standardised too.
# tests/test_data_defaults.py holds the list against real runs: each raw run diverges, each other converges.
STANDARDISED_BY_DEFAULT = ("anscombe-1", "anscombe-2", "anscombe-3", "anscombe-4", "tips", "csv")


class _DataDefault:
    """The declared default of a setting whose default depends on the data source (see `data_default`)."""

    def __repr__(self) -> str:
        return "DATA_DEFAULT"


DATA_DEFAULT = _DataDefault()


def data_default(name: str, data: str) -> Any:
    """The default of a setting whose declared default is DATA_DEFAULT, for this data source."""
    if name == "standardize":
        return data in STANDARDISED_BY_DEFAULT
    raise KeyError(name)


def data_defaults(data: str, cls: type | None = None) -> dict[str, Any]:
    """Every setting whose default depends on the data source, with its default for `data`."""
    return {name: data_default(name, data) for name, _, default, _ in knobs(cls or Settings) if default is DATA_DEFAULT}


@dataclass(frozen=True)
class Settings:
    """Every knob of a run, with the blog's values as defaults.

    The names are the command line's flags with underscores, the URL's parameters and the page's widget keys.
    `steps` counts like the blog's `range(steps + 1)`: steps=1000 makes 1001 updates, logged 0..1000.
    """

    data: str = knob(
        "generator", label="data", group=DATA, widget="choice", choices=DATA_CHOICES, part="data",
        help="Where the points come from: the blog's generator, a classic data set (Anscombe's quartet, restaurant "
        "tips, iris flowers, Hubble's 1929 galaxies) or your own CSV file.",
    )  # fmt: skip
    n: int = knob(
        100, label="points n", group=DATA, widget="grid", lo=1, hi=MAX_N, stops=N_STOPS, part="data", when=GENERATOR,
        help="How many (x, y) points to generate. Training always uses every one of them.",
    )  # fmt: skip
    w0: float = knob(
        3.0, label="true slope w0", group=DATA, lo=-10, hi=10, step=0.1, part="data", when=GENERATOR,
        help="The slope the points are generated with.",
    )  # fmt: skip
    w1: float = knob(
        4.0, label="true intercept w1", group=DATA, lo=-10, hi=10, step=0.1, part="data", when=GENERATOR,
        help="The intercept the points are generated with.",
    )  # fmt: skip
    noise: float = knob(
        0.5, label="noise", group=DATA, lo=0, hi=5, step=0.05, part="data", when=GENERATOR,
        help="Scale of the noise added to y. The blog's uniform noise is never negative, so the best "
        "intercept sits about noise/2 above the true one.",
    )  # fmt: skip
    noise_kind: str = knob(
        "uniform", label="noise kind", group=DATA, widget="choice", choices=("uniform", "gaussian"), part="data",
        when=GENERATOR,
        help="uniform: noise·U[0,1), as in the blog; gaussian: noise·N(0,1), zero-mean.",
    )  # fmt: skip
    seed: int = knob(
        0, label="seed", group=DATA, widget="number", lo=0, hi=2**31 - 1, step=1, part="data", when=GENERATOR,
        help="The random seed of the points: same seed, same points, on any machine.",
    )  # fmt: skip
    steps: int = knob(
        1000, label="steps", group=DESCENT, widget="grid", lo=0, hi=MAX_STEPS, stops=STEP_STOPS,
        help="Last step number. Like the blog's range(steps + 1), it makes steps + 1 updates.",
    )  # fmt: skip
    lr: float = knob(
        0.02, label="learning rate", group=DESCENT, widget="grid", lo=1e-4, hi=10.0, stops=LR_STOPS,
        help="Step size of each update (log scale). Above the critical rate 2/λmax the weights swing with "
        "growing amplitude and the run diverges.",
    )  # fmt: skip
    init_w0: float = knob(
        0.0, label="initial w0", group=START, lo=-10, hi=10, step=0.1, help="The slope before step 0.",
    )  # fmt: skip
    init_w1: float = knob(
        0.0, label="initial w1", group=START, lo=-10, hi=10, step=0.1, help="The intercept before step 0.",
    )  # fmt: skip

    optimizer: str = knob(
        OPTIMIZERS[0], label="optimizer", group=DESCENT, widget="choice", choices=OPTIMIZERS,
        help=optimizers.help_text(),
    )  # fmt: skip
    # the optimizers' own settings: each is shown and used with the optimizers whose registry entry reads it
    momentum: float = knob(
        0.9, label="momentum β", group=DESCENT, lo=0.0, hi=0.99, step=0.01,
        when=READERS,
        help="How much of the previous velocity each step keeps: v = β·v + g. 0 is plain gradient descent.",
    )  # fmt: skip
    beta1: float = knob(
        0.9, label="β1 (mean's decay)", group=DESCENT, widget="grid", lo=0.0, hi=0.999, stops=DECAY_STOPS[:-2],
        when=READERS,
        help="Decay of the running mean of the gradient (its momentum).",
    )  # fmt: skip
    beta2: float = knob(
        0.999, label="β2 (square's decay)", group=DESCENT, widget="grid", lo=0.0, hi=0.9999, stops=DECAY_STOPS,
        when=READERS,
        help="Decay of the running mean of the squared gradient (its step scale).",
    )  # fmt: skip
    rho: float = knob(
        0.9, label="ρ (square's decay)", group=DESCENT, widget="grid", lo=0.0, hi=0.9999, stops=DECAY_STOPS,
        when=READERS, help="Decay of the running mean of the squared gradient.",
    )  # fmt: skip
    batch_size: int = knob(
        0, label="batch size", group=DESCENT, widget="grid", lo=0, hi=MAX_N, stops=BATCH_STOPS,
        help="Training points per update. 0, or as many as there are, uses them all, as the blog does; fewer "
        "takes them in a new shuffled order each epoch. The loss shown is always over all training points.",
    )  # fmt: skip
    test_fraction: float = knob(
        0.0, label="held-out fraction", group=DATA, lo=0.0, hi=0.5, step=0.05,
        help="Share of the points kept out of training to measure the test loss on (rounded down to whole points).",
    )  # fmt: skip
    standardize: bool = knob(
        DATA_DEFAULT, label="standardise x", group=DATA, widget="toggle",
        help="Train on (x − mean)/std of the training points, which makes the loss bowl round; weights are "
        "still reported for the original x. On by default for Anscombe's sets, tips and your own files, whose "
        "raw x makes the default learning rate diverge.",
    )  # fmt: skip
    shuffle_seed: int = knob(
        0, label="shuffle seed", group=DATA, widget="number", lo=0, hi=2**31 - 1, step=1,
        help="Seeds the two shuffles of training: which points are held out, and the mini-batch order.",
    )  # fmt: skip

    def __post_init__(self) -> None:
        for name, kind, default, k in knobs(type(self)):
            if default is DATA_DEFAULT and getattr(self, name) is DATA_DEFAULT:
                object.__setattr__(self, name, data_default(name, self.data))
            value = getattr(self, name)
            if kind in (int, float):
                # the widgets hand over floats for whole-number settings (and numpy scalars); store plain values
                object.__setattr__(self, name, _number(name, value, kind))
            elif kind is bool:
                object.__setattr__(self, name, _boolean(name, value))
            check(name, getattr(self, name), kind, k)

    # ---- derived views -------------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Build from loose values (strings from a command line, numbers from widgets); unknown keys are
        ignored. Raises SettingsError naming the first value that does not parse or is out of range."""
        kwargs = {name: values[name] for name, *_ in knobs(cls) if name in values and values[name] is not None}
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def changed(self, **kwargs: Any) -> Settings:
        return replace(self, **kwargs)

    def data_key(self) -> tuple:
        """The values of the settings that make the points: the key of everything that depends on the data
        alone, so a new learning rate does not regenerate a million points."""
        return tuple((name, getattr(self, name)) for name, _, _, k in knobs(type(self)) if k.part == "data")

    def applies(self, name: str) -> bool:
        """Whether a setting is in use, given the others (e.g. the generator's noise only with the generator)."""
        k = _knob_of(type(self), name)
        return k.when is None or getattr(self, k.when[0]) in k.when[1]

    def non_default(self) -> dict[str, Any]:
        """The settings that differ from the defaults (for this data source) and are in use, in declaration
        order: what an address or a command line must say to make this run."""
        blog, here = type(self)(), type(self)(data=self.data)
        return {
            name: getattr(self, name)
            for name, _, default, _ in knobs(type(self))
            if getattr(self, name) != getattr(here if default is DATA_DEFAULT else blog, name) and self.applies(name)
        }

    def cli_args(self) -> list[str]:
        """The command line that reproduces this run (only the flags that differ from the defaults)."""
        k = {name: kb for name, _, _, kb in knobs(type(self))}
        return [part for name, v in self.non_default().items() for part in _flag_and_value(k[name].flag(name), v)]

    def to_query(self) -> dict[str, str]:
        """The URL's query parameters for this run (only what differs from the defaults)."""
        return {name: format_value(v) for name, v in self.non_default().items()}


# ---- the declaration's machinery --------------------------------------------------------------


_TYPES = {"int": int, "float": float, "str": str, "bool": bool}  # annotations are strings (__future__)


def knobs(cls: type = Settings) -> list[tuple[str, type, Any, Knob]]:
    """(name, type, default, Knob) for every declared setting, in declaration order."""
    out = []
    for f in fields(cls):
        k = f.metadata.get("knob")
        if k is not None and k.when == READERS:
            k = replace(k, when=("optimizer", optimizers.users(f.name)))
        if k is not None:
            kind = f.type if isinstance(f.type, type) else _TYPES[f.type]
            out.append((f.name, kind, f.default if f.default is not MISSING else None, k))
    return out


def _knob_of(cls: type, name: str) -> Knob:
    for n, _, _, k in knobs(cls):
        if n == name:
            return k
    raise KeyError(name)


def format_value(value: Any) -> str:
    """A value as the command line and the URL write it: the shortest text that reads back the same."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if float(f"{value:g}") != value else f"{value:g}"
    return str(value)


def _number(name: str, raw: Any, kind: type) -> int | float:
    if isinstance(raw, bool):
        raise _refused(name, "must be a number", raw)
    try:
        number = float(raw)
    except (TypeError, ValueError, OverflowError):
        raise _refused(name, "must be a number", raw) from None
    if not math.isfinite(number):
        raise _refused(name, "must be a finite number", raw)
    if kind is int:
        if not number.is_integer():
            raise _refused(name, "must be a whole number", raw)
        return int(number)
    return number


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _boolean(name: str, raw: Any) -> bool:
    """A bool from a widget (True/False), a number (1/0) or text a person typed (true/false, yes/no, on/off)."""
    if isinstance(raw, (bool, np.bool_)):
        return bool(raw)
    if isinstance(raw, (int, float, np.integer, np.floating)) and raw in (0, 1):
        return bool(raw)
    word = str(raw).strip().lower() if isinstance(raw, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be true or false (or 1 or 0), got {_shown(raw)}")


def _flag_and_value(flag: str, value: Any) -> list[str]:
    # a bool's flag alone means true, so only false needs its value written
    if value is True:
        return [flag]
    return [flag, format_value(value)]


def check(name: str, value: Any, kind: type, k: Knob) -> None:
    """Raise SettingsError if `value` is not allowed for this setting."""
    if k.choices and value not in k.choices:
        raise SettingsError(f"{name} must be one of {', '.join(k.choices)}, got {_shown(value)}")
    if kind not in (int, float):
        return
    if (k.lo is not None and value < k.lo) or (k.hi is not None and value > k.hi):
        raise SettingsError(f"{name} must be between {_num(k.lo)} and {_num(k.hi)}, got {_num(value)}")
    if kind is float and value != 0 and not FLOAT32_TINY <= abs(value) <= FLOAT32_MAX:
        # the trainer computes in float32: a value it would round to 0 or infinity is not the value asked for
        raise SettingsError(f"{name} = {value:g} cannot be represented in float32 (the trainer's precision)")


def _num(v: float | None) -> str:
    if v is None:
        return "?"
    # whole numbers with thousands separators, but never hundreds of digits (1e308 is a float, not a count)
    return f"{int(v):,}" if float(v).is_integer() and 1000 <= abs(v) < 1e15 else f"{v:g}"


def _shown(raw: Any, limit: int = 40) -> str:
    return clip(repr(raw) if isinstance(raw, str) else str(raw), limit)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- command line ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, cls: type = Settings) -> None:
    """One flag per declared setting, named like it, with its help, default and range."""
    for name, kind, default, k in knobs(cls):
        extra: dict[str, Any] = {"choices": k.choices} if k.choices else {}
        if kind is bool:
            # `--standardize` alone turns it on; `--standardize false` (or 0, no, off) turns it off
            extra = {"nargs": "?", "const": True, "metavar": "true|false"}
        bounds = f"; {_num(k.lo)} to {_num(k.hi)}" if k.lo is not None and k.hi is not None else ""
        said = "set by --data" if default is DATA_DEFAULT else format_value(default)
        parser.add_argument(
            k.flag(name), dest=name, type=_parser_type(name, kind, k), default=default,
            help=f"{k.label}: {k.help} (default {said}{bounds})".replace("%", "%%"),
            **extra,
        )  # fmt: skip


def _parser_type(name: str, kind: type, k: Knob) -> Any:
    if k.choices:
        return str

    def parse(text: str) -> Any:
        try:
            return _boolean(name, text) if kind is bool else kind(text)
        except SettingsError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        except (ValueError, OverflowError):  # argparse's own words, with the value cut short if it is long
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {_shown(text)}") from None

    return parse


# ---- URL ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What the URL asked for that could not be used as given, and what was used instead."""

    param: str
    text: str


def from_query(params: Mapping[str, Iterable[str]], cls: type = Settings) -> tuple[Settings, list[Notice]]:
    """Settings from a URL's query parameters, never raising: each value that is malformed, non-finite,
    repeated or unknown is ignored, and each out-of-range one clamped to the nearest allowed value, with a
    notice naming the parameter and what was used. `params` maps a name to all its values."""
    values: dict[str, Any] = {}
    notices: list[Notice] = []
    declared = {name: (kind, default, k) for name, kind, default, k in knobs(cls)}
    for raw_name, raw_values in params.items():
        name = str(raw_name)
        given = [str(v) for v in raw_values]
        if name not in declared:
            notices.append(Notice(clip(name, 30), "is not a setting of this lab; it was ignored."))
            continue
        kind, default, k = declared[name]
        if not given:
            continue
        if len(given) > 1:
            notices.append(Notice(name, f"was given {len(given)} times; the first value was used."))
        value, notice = _lenient(name, given[0], kind, default, k)
        if notice:
            notices.append(Notice(name, notice))
        values[name] = value
    settings = cls(**values)
    # a default that depends on the data is known only once the data is: the notice names the value used
    return settings, [_named_default(n, settings) for n in notices]


def _named_default(notice: Notice, settings: Settings) -> Notice:
    if not notice.text.endswith(_DATA_DEFAULT_USED):
        return notice
    used = f"the default for this data, {format_value(getattr(settings, notice.param))}, was used."
    return Notice(notice.param, notice.text.replace(_DATA_DEFAULT_USED, used))


def _lenient(name: str, raw: str, kind: type, default: Any, k: Knob) -> tuple[Any, str | None]:
    text = raw.strip()
    if len(text) > MAX_QUERY_VALUE:
        return default, f"is too long to be a value ({len(text):,} characters); {_default_used(default)}"
    if k.choices:
        if text in k.choices:
            return text, None
        return default, f"must be one of {', '.join(k.choices)}; the default {default} was used."
    if kind is bool:
        try:
            return _boolean(name, text), None
        except SettingsError:
            return default, f"must be true or false (or 1 or 0); {_default_used(default)}"
    try:
        value = _number(name, text, kind)
    except SettingsError as e:
        return default, f"{e.rule}; {_default_used(default)}"
    clamped = value
    if k.lo is not None and value < k.lo:
        clamped = kind(k.lo)
    elif k.hi is not None and value > k.hi:
        clamped = kind(k.hi)
    if kind is float and clamped != 0 and abs(clamped) < FLOAT32_TINY:
        clamped = k.lo if k.lo is not None and k.lo > 0 else 0.0
    if clamped != value:
        nearest = _num(clamped) if kind is int else format_value(clamped)
        return clamped, f"is outside {_num(k.lo)} to {_num(k.hi)}; the nearest allowed value {nearest} was used."
    return value, None


_DATA_DEFAULT_USED = "the data's default was used."


def _default_used(default: Any) -> str:
    if default is DATA_DEFAULT:
        return _DATA_DEFAULT_USED
    return f"the default {format_value(default)} was used."
