"""Every optimizer the lab knows, each declared once: the registry every front end reads.

An entry says what the optimizer is called, which settings it reads besides the learning rate, its update
rule, what theory knows of it on a quadratic bowl (the recurrence its offset from the optimum follows along
each eigenvector of the Hessian, and the largest stable step) or why theory knows nothing, its words, and the
lines the downloadable script runs for it. The settings, the trainer, the theory, the page's texts, the
script and the command line all read these entries; adding an optimizer is one entry here (and its tests).

The update rules have one shape, `rule(g, memory, t, h) -> (direction, memory)`, and the trainer then makes
the blog's update w -= lr · direction. `g` is the gradient (dw0, dw1) as a 2-vector, `t` the update's number
counting from 1 (Adam's bias correction needs it), `h` the hyperparameters by name (`HYPER`), `memory` what a
rule carries from one update to the next: `first`, a running sum or mean of gradients, and `second`, a
running mean of squared gradients. The rules use arithmetic alone where they can, so they run on TensorFlow
tensors and on NumPy floats alike; the two that need a square root import TensorFlow when they run, so this
module imports without it. No Keras: each rule is a few lines.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

EPS = 1e-8  # added to a root mean square before dividing by it (Adam paper's value); keeps g = 0 finite


class Memory(NamedTuple):
    first: Any  # running sum or mean of gradients
    second: Any  # running mean of squared gradients


@dataclass(frozen=True)
class Optimizer:
    """One optimizer. `characteristic(a, h)` is the recurrence's characteristic polynomial along an eigenvector
    with eigenvalue λ, as coefficients from the highest power, with a = lr·λ; `limit(h)` the largest stable
    a (so the stable rates are lr < limit/λmax). Both None when the steps are not linear in the offset (an
    adaptive optimizer), and `why` then says what is known instead."""

    key: str  # the `optimizer` setting's value: the command line's, the URL's and the widget's
    label: str  # its name in a sentence
    summary: str  # what it does, for the setting's help
    hyper: tuple[str, ...]  # the settings it reads besides lr
    rule: Callable[..., tuple[Any, Memory]]
    mechanism: str  # how it moves, for the landscape's caption
    why: str  # why its stability bound is what it is, or why there is none
    characteristic: Callable[[float, Any], tuple[float, ...]] | None = None
    limit: Callable[[Any], float] | None = None
    formula: str | None = None  # the bound as people write it
    # the downloadable script's lines between the gradient g = (dw0, dw1) and update_weights, which steps along
    # the new g; they may read the update's number t, the settings in `hyper` and the running `script_state`
    script: str = ""
    script_state: tuple[str, ...] = ()
    plain: bool = False  # steps along the gradient itself: the blog's own update

    @property
    def linear(self) -> bool:
        """On a quadratic bowl its steps are linear in the offset from the optimum, so theory is exact."""
        return self.characteristic is not None


def _plain(g, memory, t, h):
    return g, memory


def _heavy_ball(g, memory, t, h):
    velocity = h.momentum * memory.first + g
    return velocity, memory._replace(first=velocity)


def _nesterov(g, memory, t, h):
    # written at the current point (as in Sutskever et al. 2013 and PyTorch): the step is the gradient
    # plus the velocity after this update, a look ahead along it
    velocity = h.momentum * memory.first + g
    return g + h.momentum * velocity, memory._replace(first=velocity)


def _rmsprop(g, memory, t, h):
    import tensorflow as tf

    square = h.rho * memory.second + (1 - h.rho) * g * g
    return g / (tf.sqrt(square) + EPS), memory._replace(second=square)


def _adam(g, memory, t, h):
    import tensorflow as tf

    mean = h.beta1 * memory.first + (1 - h.beta1) * g
    square = h.beta2 * memory.second + (1 - h.beta2) * g * g
    mean_hat = mean / (1 - h.beta1**t)  # undoes the running means' start from zero
    square_hat = square / (1 - h.beta2**t)
    return mean_hat / (tf.sqrt(square_hat) + EPS), Memory(mean, square)


NO_BOUND = (
    "No simple bound is known for {label}: dividing by the gradient's running size makes each step about the "
    "learning rate long, so a too-large rate makes the run hover around the optimum rather than grow without bound."
)

REGISTRY: dict[str, Optimizer] = {
    o.key: o
    for o in (
        Optimizer(
            key="gd", label="gradient descent", summary="w -= lr·g, the blog's rule", hyper=(), rule=_plain,
            plain=True,
            mechanism="Gradient descent steps straight downhill, across the rings.",
            characteristic=lambda a, h: (1.0, -(1 - a)), limit=lambda h: 2.0, formula="2/λmax",
            why="Above 2/λmax each step overshoots the steepest direction by more than it corrects.",
        ),
        Optimizer(
            key="momentum", label="heavy-ball momentum", summary="a velocity v = β·v + g, then w -= lr·v",
            hyper=("momentum",), rule=_heavy_ball,
            mechanism="Heavy-ball momentum keeps going the way it went: steps that agree add up, steps that "
            "flip sign cancel.",
            # v = βv + g, w -= ηv gives z² − (1 + β − ηλ)z + β; a root leaves the unit circle at ηλ = 2(1 + β)
            characteristic=lambda a, h: (1.0, -(1 + h.momentum - a), h.momentum),
            limit=lambda h: 2 * (1 + h.momentum), formula="2(1+β)/λmax",
            why="Heavy-ball momentum allows up to 2(1+β)/λmax: where a step overshoots, the gradient flips sign every "
            "step, and the velocity v = β·v + g averages those flips down to about g/(1+β).",
            script="velocity = momentum * velocity + g\ng = velocity", script_state=("velocity",),
        ),
        Optimizer(
            key="nesterov", label="Nesterov momentum", summary="the velocity's look ahead, w -= lr·(g + β·v)",
            hyper=("momentum",), rule=_nesterov,
            mechanism="Nesterov momentum keeps going the way it went, and looks a step ahead along its velocity.",
            # the look-ahead form gives z² − (1+β)(1−ηλ)z + β(1−ηλ): a root crosses −1 at ηλ = 2(1+β)/(1+2β)
            characteristic=lambda a, h: (1.0, -(1 + h.momentum) * (1 - a), h.momentum * (1 - a)),
            limit=lambda h: 2 * (1 + h.momentum) / (1 + 2 * h.momentum), formula="2(1+β)/((1+2β)·λmax)",
            why="Nesterov momentum allows up to 2(1+β)/((1+2β)·λmax), from 2/λmax at β = 0 down to 4/(3·λmax) as "
            "β → 1: its step g + β·v is, where the gradient flips sign every step, about (1+2β)/(1+β) times g.",
            script="velocity = momentum * velocity + g\ng = g + momentum * velocity", script_state=("velocity",),
        ),
        Optimizer(
            key="rmsprop", label="RMSProp", summary="divides g by the running root mean square of its values",
            hyper=("rho",), rule=_rmsprop,
            mechanism="RMSProp divides each step by the gradient's running size: steps are about the learning rate "
            "long whatever the slope, so the path heads more directly, then hovers.",
            why=NO_BOUND.format(label="RMSProp"),
            script="square = rho * square + (1 - rho) * g * g\ng = g / (tf.sqrt(square) + 1e-8)",
            script_state=("square",),
        ),
        Optimizer(
            key="adam", label="Adam", summary="momentum's running mean over RMSProp's running size",
            hyper=("beta1", "beta2"), rule=_adam,
            mechanism="Adam averages the gradient like momentum and divides by its running size like RMSProp: "
            "steps are about the learning rate long, so the path heads more directly, then hovers.",
            why=NO_BOUND.format(label="Adam"),
            script="mean = beta1 * mean + (1 - beta1) * g\nsquare = beta2 * square + (1 - beta2) * g * g\n"
            "g = (mean / (1 - beta1 ** t)) / (tf.sqrt(square / (1 - beta2 ** t)) + 1e-8)",
            script_state=("mean", "square"),
        ),
    )
}  # fmt: skip

KEYS = tuple(REGISTRY)  # the `optimizer` setting's choices, in this order
# every hyperparameter a rule may read, by name, in the order the compiled program receives them
HYPER = ("lr", *dict.fromkeys(name for o in REGISTRY.values() for name in o.hyper))
Hyper = namedtuple("Hyper", HYPER)  # the rules' `h`: tensors in the trainer, floats in theory


def get(key: str) -> Optimizer:
    if key not in REGISTRY:
        raise ValueError(f"unknown optimizer {key!r}; there are {', '.join(KEYS)}")
    return REGISTRY[key]


def users(setting: str) -> tuple[str, ...]:
    """The optimizers that read a setting (the settings declaration shows its widget only with them)."""
    return tuple(o.key for o in REGISTRY.values() if setting in o.hyper)


def help_text() -> str:
    """The `optimizer` setting's help: what each one does."""
    return "How a gradient becomes a step. " + "; ".join(f"{o.key}: {o.summary}" for o in REGISTRY.values()) + "."


def hyper_of(settings: Any) -> Hyper:
    """The hyperparameters of a run as plain floats, by name."""
    return Hyper(*(float(getattr(settings, name)) for name in HYPER))
