"""The registry's update rules (optimizers.py) inside one compiled program: `apply_rule` picks the rule when
the program runs, not when it is traced, so switching optimizer neither retraces nor recompiles."""

from __future__ import annotations

from . import quiet
from .optimizers import KEYS, REGISTRY, Memory

tf = quiet.tensorflow()


def fresh_memory() -> Memory:
    return Memory(tf.zeros([2]), tf.zeros([2]))


def rule_index(optimizer: str) -> int:
    """The number `apply_rule` knows an optimizer by: its place in the registry."""
    return KEYS.index(optimizer)


def apply_rule(index, g, memory, t, h):
    """The step of rule number `index`. Every rule is evaluated (a few operations on 2-vectors) and the chosen
    one's results kept: a `tf.switch_case` would skip the others, but XLA then took time growing with n to
    compile the loop (seconds at a million points, against a fraction of one for this)."""
    results = [o.rule(g, memory, t, h) for o in REGISTRY.values()]
    direction = tf.gather(tf.stack([d for d, _ in results]), index)
    first = tf.gather(tf.stack([m.first for _, m in results]), index)
    second = tf.gather(tf.stack([m.second for _, m in results]), index)
    return direction, Memory(first, second)
