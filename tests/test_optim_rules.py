"""Each optimizer against its update equations, on a few steps worked out by hand.

Parameters start at θ = [1, -2]; the gradients are g1 = [1, 2], then g2 = [0.5, -1]. Expected
values are either literal decimals (first steps, easy by hand) or the docstring's equations
written out step by step in plain Python/NumPy."""
import math

import numpy as np
import pytest

import memograd
from memograd.optim import SGD, Adagrad, Adam, AdamW, RMSprop

THETA = [1.0, -2.0]
G1, G2 = np.array([1.0, 2.0]), np.array([0.5, -1.0])


def run(opt_cls, grads, theta=THETA, **options) -> list[np.ndarray]:
    """The parameter after each step, starting from `theta`, with the given gradient sequence."""
    p = memograd.tensor(np.array(theta, dtype=np.float64), requires_grad=True)
    opt = opt_cls([p], **options)
    history = []
    for g in grads:
        p.grad = memograd.tensor(np.array(g, dtype=np.float64))
        opt.step()
        history.append(p._data.copy())
    return history


def close(actual, expected) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


# ---- SGD ---------------------------------------------------------------------------------

def test_sgd_plain():
    s1, s2 = run(SGD, [G1, G2], lr=0.1)
    close(s1, [0.9, -2.2])
    close(s2, [0.85, -2.1])


def test_sgd_momentum_first_step_takes_the_gradient():
    s1, s2 = run(SGD, [G1, G2], lr=0.1, momentum=0.9)
    close(s1, [0.9, -2.2])                # b = g1
    close(s2, [0.9 - 0.14, -2.2 - 0.08])  # b = 0.9 [1, 2] + [0.5, -1] = [1.4, 0.8]


def test_sgd_dampening_only_after_the_first_step():
    s1, s2 = run(SGD, [G1, G2], lr=0.1, momentum=0.9, dampening=0.5)
    close(s1, [0.9, -2.2])                  # b = g1, undampened
    close(s2, [0.9 - 0.115, -2.2 - 0.13])  # b = 0.9 [1, 2] + 0.5 [0.5, -1] = [1.15, 1.3]


def test_sgd_nesterov():
    s1, s2 = run(SGD, [G1, G2], lr=0.1, momentum=0.9, nesterov=True)
    close(s1, [1 - 0.19, -2 - 0.38])          # g + 0.9 b = [1.9, 3.8]
    close(s2, [0.81 - 0.176, -2.38 + 0.028])  # b = [1.4, 0.8]; g + 0.9 b = [1.76, -0.28]


def test_sgd_weight_decay_and_maximize():
    (s1,) = run(SGD, [G1], lr=0.1, weight_decay=0.1)
    close(s1, [1 - 0.11, -2 - 0.18])  # g + 0.1 θ = [1.1, 1.8]
    (s1,) = run(SGD, [G1], lr=0.1, maximize=True)
    close(s1, [1.1, -1.8])
    (s1,) = run(SGD, [G1], lr=0.1, maximize=True, weight_decay=0.1)
    close(s1, [1 + 0.09, -2 + 0.22])  # -g + 0.1 θ = [-0.9, -2.2]


# ---- Adam and AdamW ----------------------------------------------------------------------

def adam_by_hand(theta, grads, lr, beta1, beta2, eps, weight_decay=0.0, decoupled=False, amsgrad=False):
    theta = np.array(theta)
    m = np.zeros(2)
    v = np.zeros(2)
    v_max = np.zeros(2)
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = np.maximum(v_max, v)
        v_used = v_max if amsgrad else v
        theta = theta - lr / (1 - beta1**t) * m / (np.sqrt(v_used) / math.sqrt(1 - beta2**t) + eps)
        out.append(theta)
    return out


def test_adam_first_step_is_lr_times_sign():
    (s1,) = run(Adam, [G1], lr=0.1, eps=0.0)
    close(s1, [0.9, -2.1])  # m̂ = g, v̂ = g²: the step is lr · g / |g|


def test_adam_two_steps_by_hand():
    s1, s2 = run(Adam, [G1, G2], lr=0.1)
    # step 2: m = 0.09 [1, 2] + 0.1 [0.5, -1] = [0.14, 0.08]; v = 0.000999 [1, 4] + 0.001 [0.25, 1]
    m = np.array([0.14, 0.08])
    v = np.array([0.001249, 0.004996])
    expected = s1 - 0.1 / 0.19 * m / (np.sqrt(v) / math.sqrt(1 - 0.999**2) + 1e-8)
    close(s2, expected)


@pytest.mark.parametrize("options", [
    dict(),
    dict(weight_decay=0.1),
    dict(amsgrad=True),
    dict(betas=(0.5, 0.7), eps=1e-3),
])
def test_adam_matches_its_equations(options):
    grads = [G1, G2, np.array([-3.0, 0.1]), np.array([0.2, 0.2])]
    betas = options.pop("betas", (0.9, 0.999))
    got = run(Adam, grads, lr=0.05, betas=betas, **options)
    expected = adam_by_hand(THETA, grads, 0.05, *betas, options.pop("eps", 1e-8), **options)
    close(np.array(got), np.array(expected))


def test_adam_amsgrad_keeps_the_largest_second_moment():
    grads = [np.array([10.0, 10.0]), np.array([0.1, 0.1]), np.array([0.1, 0.1])]
    plain = run(Adam, grads, lr=0.1)
    ams = run(Adam, grads, lr=0.1, amsgrad=True)
    assert np.all(np.abs(ams[2] - ams[1]) < np.abs(plain[2] - plain[1]))  # a larger denominator


def test_adamw_decays_the_parameter_not_the_gradient():
    grads = [G1, G2, np.array([-3.0, 0.1])]
    got = run(AdamW, grads, lr=0.05, weight_decay=0.1)
    close(np.array(got), np.array(adam_by_hand(THETA, grads, 0.05, 0.9, 0.999, 1e-8, 0.1, decoupled=True)))
    (s1,) = run(AdamW, [np.zeros(2)], lr=0.1)  # zero gradient: only the decay, θ · (1 - 0.1 · 0.01)
    close(s1, [0.999, -1.998])


def test_adam_maximize_ascends():
    (s1,) = run(Adam, [G1], lr=0.1, eps=0.0, maximize=True)
    close(s1, [1.1, -1.9])


# ---- RMSprop -----------------------------------------------------------------------------

def test_rmsprop_first_step():
    (s1,) = run(RMSprop, [G1], lr=0.01, alpha=0.99, eps=0.0)
    close(s1, [1 - 0.1, -2 - 0.1])  # s = 0.01 g², step = lr · g / (0.1 |g|)


def test_rmsprop_two_steps_by_hand():
    s1, s2 = run(RMSprop, [G1, G2], lr=0.01, alpha=0.9, eps=1e-8)
    s = 0.1 * G1**2
    close(s1, np.array(THETA) - 0.01 * G1 / (np.sqrt(s) + 1e-8))
    s = 0.9 * s + 0.1 * G2**2
    close(s2, s1 - 0.01 * G2 / (np.sqrt(s) + 1e-8))


def test_rmsprop_centered_with_momentum_by_hand():
    s1, s2 = run(RMSprop, [G1, G2], lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)
    theta = np.array(THETA)
    s, avg, b = np.zeros(2), np.zeros(2), np.zeros(2)
    for g, got in [(G1, s1), (G2, s2)]:
        g = g + 0.1 * theta
        s = 0.9 * s + 0.1 * g**2
        avg = 0.9 * avg + 0.1 * g
        b = 0.5 * b + g / (np.sqrt(s - avg**2) + 1e-8)
        theta = theta - 0.01 * b
        close(got, theta)


# ---- Adagrad -----------------------------------------------------------------------------

def test_adagrad_first_step():
    (s1,) = run(Adagrad, [G1], lr=0.1, eps=0.0)
    close(s1, [0.9, -2.1])  # s = g²: step = lr · g / |g|


def test_adagrad_by_hand_with_lr_decay_and_initial_accumulator():
    s1, s2 = run(Adagrad, [G1, G2], lr=0.1, lr_decay=0.5, initial_accumulator_value=1.0)
    s = 1.0 + G1**2
    close(s1, np.array(THETA) - 0.1 * G1 / (np.sqrt(s) + 1e-10))
    s = s + G2**2
    close(s2, s1 - 0.1 / 1.5 * G2 / (np.sqrt(s) + 1e-10))  # lr / (1 + (t - 1) · lr_decay)
