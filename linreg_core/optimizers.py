"""The update rules, written out in TensorFlow: how each optimizer turns the tape's gradient into a step.

Every rule has the same shape, `rule(g, memory, t, h) -> (direction, memory)`, and the trainer then
applies the blog's `update_weights(w0, w1, *direction, lr)`, i.e. w -= lr · direction. For plain
gradient descent the direction is the gradient itself, so that update is the blog's, untouched.

`g` is the gradient (dw0, dw1) as a 2-vector, `t` the update's number counting from 1 (Adam's bias
correction needs it), `h` the hyperparameters. `memory` is what a rule carries from one update to the
next: `first`, a running sum or mean of gradients (momentum's velocity, Adam's first moment), and
`second`, a running mean of squared gradients (RMSProp's and Adam's). Rules that need neither pass
it through. No Keras: the rules are a few lines each, and the training process need not load Keras.
"""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf

from .settings import OPTIMIZERS

EPS = 1e-8  # added to a root mean square before dividing by it (Adam paper's value); keeps g = 0 finite


class Hyper(NamedTuple):
    """The hyperparameters of every rule, as float32 scalars; each rule reads only its own."""

    lr: tf.Tensor
    momentum: tf.Tensor
    beta1: tf.Tensor
    beta2: tf.Tensor
    rho: tf.Tensor


class Memory(NamedTuple):
    first: tf.Tensor  # running sum or mean of gradients, shape [2]
    second: tf.Tensor  # running mean of squared gradients, shape [2]


def fresh_memory() -> Memory:
    return Memory(tf.zeros([2]), tf.zeros([2]))


def gd(g, memory, t, h):
    """Plain gradient descent, as the blog: step along the gradient."""
    return g, memory


def heavy_ball(g, memory, t, h):
    """Polyak's heavy ball: the velocity v = β·v + g remembers past gradients, so steps that agree add up
    and steps that flip sign cancel."""
    velocity = h.momentum * memory.first + g
    return velocity, memory._replace(first=velocity)


def nesterov(g, memory, t, h):
    """Nesterov momentum, written at the current point (as in Sutskever et al. 2013 and PyTorch): the
    step is the gradient plus the velocity after this update, β·v + g, a look ahead along it."""
    velocity = h.momentum * memory.first + g
    return g + h.momentum * velocity, memory._replace(first=velocity)


def rmsprop(g, memory, t, h):
    """RMSProp: divide the gradient by the running root mean square of its recent values, so each weight
    moves about lr per step whatever its gradient's scale."""
    square = h.rho * memory.second + (1 - h.rho) * g * g
    return g / (tf.sqrt(square) + EPS), memory._replace(second=square)


def adam(g, memory, t, h):
    """Adam: a running mean of the gradient (momentum) over the root of a running mean of its square
    (RMSProp), both divided by 1 - β^t, which undoes their start from zero."""
    mean = h.beta1 * memory.first + (1 - h.beta1) * g
    square = h.beta2 * memory.second + (1 - h.beta2) * g * g
    mean_hat = mean / (1 - h.beta1**t)
    square_hat = square / (1 - h.beta2**t)
    return mean_hat / (tf.sqrt(square_hat) + EPS), Memory(mean, square)


RULES = {"gd": gd, "momentum": heavy_ball, "nesterov": nesterov, "rmsprop": rmsprop, "adam": adam}


def rule_index(optimizer: str) -> int:
    """The number `apply_rule` knows an optimizer by (its place in RULES and in settings.OPTIMIZERS)."""
    return OPTIMIZERS.index(optimizer)


def apply_rule(index, g, memory, t, h):
    """The step of rule number `index`, chosen when the compiled program runs, not when it is traced: one
    program then serves every optimizer, so switching optimizer neither retraces nor recompiles.

    Every rule is evaluated (a few operations on 2-vectors) and the chosen one's results are kept. A
    `tf.switch_case` would skip the others, but XLA then took time growing with n to compile the loop
    (18 s at n = 1,000,000 against 0.4 s for this).
    """
    results = [rule(g, memory, t, h) for rule in RULES.values()]
    direction = tf.gather(tf.stack([d for d, _ in results]), index)
    first = tf.gather(tf.stack([m.first for _, m in results]), index)
    second = tf.gather(tf.stack([m.second for _, m in results]), index)
    return direction, Memory(first, second)
