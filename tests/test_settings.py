"""The settings declaration: one place for every knob, from which checks, flags and the URL are derived."""

import argparse
from dataclasses import dataclass

import pytest

from linreg_core.analysis import analyse
from linreg_core.cli import build_parser
from linreg_core.optimizers import hyper_of
from linreg_core.settings import (
    LR_STOPS,
    MAX_N,
    MAX_STEPS,
    OPTIMIZERS,
    Settings,
    SettingsError,
    add_arguments,
    from_query,
    knob,
    knobs,
)
from linreg_core.theory import stable_lr


def test_defaults_are_the_blogs_run():
    s = Settings()
    assert (s.n, s.w0, s.w1, s.noise, s.noise_kind, s.steps, s.lr) == (100, 3.0, 4.0, 0.5, "uniform", 1000, 0.02)
    assert (s.init_w0, s.init_w1) == (0.0, 0.0)


def test_every_setting_declares_a_label_help_group_and_a_valid_range():
    for name, kind, default, k in knobs():
        assert k.label and k.help.endswith(".") and k.group, name
        if kind in (int, float):
            assert k.lo <= default <= k.hi, name
            if k.widget == "grid":
                assert k.stops and all(k.lo <= v <= k.hi for v in k.stops) and list(k.stops) == sorted(k.stops), name
                assert default in k.stops, name
        if k.choices:
            assert default in k.choices, name


def test_every_setting_has_a_command_line_flag_with_its_help():
    parser = build_parser()
    by_dest = {a.dest: a for a in parser._actions}
    for name, _, default, k in knobs():
        action = by_dest[name]
        assert action.option_strings == ["--" + name.replace("_", "-")]
        assert action.default == default and k.help.rstrip(".") in action.help


@dataclass(frozen=True)
class WithMomentum(Settings):
    """The declaration, grown by one setting in a test: it must reach the flags, checks and URL untouched."""

    momentum: float = knob(0.9, label="momentum", group="Gradient descent", lo=0.0, hi=0.999, step=0.01,
                           help="Heavy-ball momentum.")  # fmt: skip


def test_a_setting_added_to_the_declaration_appears_in_the_parser_checks_and_url():
    parser = build_parser(WithMomentum)
    args = parser.parse_args(["--momentum", "0.5", "--lr", "0.1"])
    s = WithMomentum.from_mapping(vars(args))
    assert (s.momentum, s.lr) == (0.5, 0.1)
    assert s.cli_args() == ["--lr", "0.1", "--momentum", "0.5"] and s.to_query() == {"lr": "0.1", "momentum": "0.5"}
    with pytest.raises(SettingsError, match="momentum must be between 0 and 0.999, got 2"):
        WithMomentum(momentum=2.0)
    clamped, notices = from_query({"momentum": ["7"]}, WithMomentum)
    assert clamped.momentum == 0.999 and [n.param for n in notices] == ["momentum"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"n": 0}, "n must be between 1 and 1,000,000, got 0"),
        ({"n": MAX_N + 1}, "n must be between"),
        ({"noise": -0.1}, "noise must be between 0 and 5, got -0.1"),
        ({"lr": 0.0}, "lr must be between 0.0001 and 10, got 0"),
        ({"lr": -1.0}, "lr must be between 0.0001 and 10"),
        ({"lr": 1e-50}, "lr must be between 0.0001 and 10"),
        ({"steps": -1}, "steps must be between 0 and 10,000"),
        ({"steps": MAX_STEPS + 1}, "steps must be between"),
        ({"noise_kind": "cauchy"}, "noise_kind must be one of uniform, gaussian, got 'cauchy'"),
        ({"w0": float("nan")}, "w0 must be a finite number"),
        ({"init_w1": float("inf")}, "init_w1 must be a finite number"),
        ({"w0": 1e-45}, "w0 = 1e-45 cannot be represented in float32"),
        ({"seed": -3}, "seed must be between 0 and 2,147,483,647, got -3"),
        ({"n": 2.5}, "n must be a whole number, got 2.5"),
    ],
)
def test_out_of_range_values_name_the_setting(changes, message):
    with pytest.raises(SettingsError) as err:
        Settings(**changes)
    assert message in str(err.value)


def test_whole_numbers_from_widgets_are_stored_as_ints():
    s = Settings(n=250.0, seed=3.0)
    assert type(s.n) is int and type(s.seed) is int and s == Settings(n=250, seed=3)


def test_from_mapping_parses_strings_as_a_command_line_would_carry_them():
    s = Settings.from_mapping({"n": "250", "lr": "0.1", "noise_kind": "gaussian", "other": "ignored"})
    assert (s.n, s.lr, s.noise_kind) == (250, 0.1, "gaussian")


@pytest.mark.parametrize("values, message", [({"n": "abc"}, "n must be a number"), ({"n": "2.5"}, "whole number")])
def test_from_mapping_rejects_unparsable_values(values, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_mapping(values)


@pytest.mark.parametrize(
    "settings", [Settings(), Settings(n=42, lr=0.125, noise_kind="gaussian", init_w0=-1.5), Settings(lr=0.1 + 0.2)]
)
def test_cli_args_and_query_round_trip(settings):
    args = build_parser().parse_args(settings.cli_args())
    assert Settings.from_mapping(vars(args)) == settings
    again, notices = from_query({k: [v] for k, v in settings.to_query().items()})
    assert again == settings and notices == []


def test_only_non_default_settings_are_written():
    assert Settings().cli_args() == [] and Settings().to_query() == {}
    assert Settings(lr=0.1, seed=7).cli_args() == ["--seed", "7", "--lr", "0.1"]


def test_data_key_changes_with_the_points_not_with_training():
    a = Settings(n=50, seed=3, lr=0.3, steps=20, init_w0=1.0)
    assert a.data_key() == Settings(n=50, seed=3).data_key()
    assert a.data_key() != Settings(n=51, seed=3).data_key()
    assert a.data_key() != Settings(n=50, seed=3, noise_kind="gaussian").data_key()


@pytest.mark.parametrize(
    "param, values, used, notice",
    [
        ("n", ["1e308"], MAX_N, "n is outside 1 to 1,000,000; the nearest allowed value 1,000,000 was used."),
        ("n", ["-4"], 1, "nearest allowed value 1 was used"),
        ("n", ["nan"], 100, "n must be a finite number; the default 100 was used."),
        ("lr", ["inf"], 0.02, "lr must be a finite number"),
        ("lr", ["-inf"], 0.02, "lr must be a finite number"),
        ("lr", ["0"], 1e-4, "lr is outside 0.0001 to 10; the nearest allowed value 0.0001 was used."),
        ("steps", ["-5"], 0, "steps is outside 0 to 10,000"),
        ("steps", ["ten"], 1000, "steps must be a number; the default 1000 was used."),
        ("n", ["2.5"], 100, "n must be a whole number"),
        ("lr", ["9" * 10_000], 0.02, "lr is too long to be a value (10,000 characters)"),
        ("lr", ["0.1", "0.3"], 0.1, "lr was given 2 times; the first value was used."),
        ("noise_kind", ["<script>alert(1)</script>"], "uniform", "noise_kind must be one of uniform, gaussian"),
        ("<b>bold</b>", ["1"], None, "<b>bold</b> is not a setting of this lab; it was ignored."),
    ],
)
def test_hostile_url_values_are_clamped_or_ignored_with_a_notice(param, values, used, notice):
    settings, notices = from_query({param: values})
    if used is not None:
        assert getattr(settings, param) == used
    assert any(notice in f"{n.param} {n.text}" for n in notices), notices


def test_a_clean_url_gives_its_run_and_no_notice():
    settings, notices = from_query({"lr": ["0.1"], "n": ["1000"], "noise_kind": ["gaussian"]})
    assert settings == Settings(lr=0.1, n=1000, noise_kind="gaussian") and notices == []


def test_learning_rate_grid_reaches_both_sides_of_the_blogs_critical_rate(blog_data):
    critical = stable_lr(analyse(blog_data), OPTIMIZERS[0], hyper_of(Settings()))  # 2/λmax, computed
    assert critical == pytest.approx(2 / analyse(blog_data).lambda_max)
    below = max(v for v in LR_STOPS if v < critical)
    above = min(v for v in LR_STOPS if v > critical)
    assert below >= 0.4 and above <= 0.45


def test_add_arguments_uses_the_declared_types():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--n", "7", "--noise-kind", "gaussian"])
    assert args.n == 7 and args.noise_kind == "gaussian" and isinstance(args.lr, float)
