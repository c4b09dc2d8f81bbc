import pytest

from linreg_core.settings import MAX_N, MAX_STEPS, Settings, SettingsError


def test_defaults_are_the_blogs_run():
    s = Settings()
    assert (s.n, s.w0, s.w1, s.noise, s.noise_kind, s.steps, s.lr) == (100, 3.0, 4.0, 0.5, "uniform", 1000, 0.02)
    assert (s.init_w0, s.init_w1) == (0.0, 0.0)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"n": 0}, "n must be between 1 and 1,000,000"),
        ({"n": MAX_N + 1}, "n must be between"),
        ({"noise": -0.1}, "noise must be 0 or more"),
        ({"lr": 0.0}, "learning rate must be greater than 0"),
        ({"lr": -1.0}, "learning rate must be greater than 0"),
        ({"steps": -1}, "steps must be between 0 and"),
        ({"steps": MAX_STEPS + 1}, "steps must be between"),
        ({"noise_kind": "cauchy"}, "noise kind must be one of uniform, gaussian"),
        ({"w0": float("nan")}, "w0 must be a finite number"),
        ({"init_w1": float("inf")}, "init_w1 must be a finite number"),
        ({"seed": -3}, "seed must be 0 or more"),
    ],
)
def test_out_of_range_values_name_the_setting(changes, message):
    with pytest.raises(SettingsError) as err:
        Settings(**changes)
    assert message in str(err.value)


def test_from_mapping_parses_strings_as_a_url_would_carry_them():
    s = Settings.from_mapping({"n": "250", "lr": "0.1", "noise_kind": "gaussian", "other": "ignored"})
    assert (s.n, s.lr, s.noise_kind) == (250, 0.1, "gaussian")


@pytest.mark.parametrize("values, message", [({"n": "abc"}, "n must be a number"), ({"n": "2.5"}, "whole number")])
def test_from_mapping_rejects_unparsable_values(values, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_mapping(values)


def test_cli_args_round_trip_through_the_parser():
    from linreg_core.cli import build_parser

    s = Settings(n=42, lr=0.125, noise_kind="gaussian", init_w0=-1.5)
    args = build_parser().parse_args(s.cli_args())
    assert Settings.from_mapping(vars(args)) == s
    assert Settings().cli_args() == []


def test_data_part_ignores_only_the_training_knobs():
    a = Settings(n=50, seed=3, lr=0.3, steps=20, init_w0=1.0)
    assert a.data_part() == Settings(n=50, seed=3).data_part() == Settings(n=50, seed=3)
    assert a.data_part() != Settings(n=51, seed=3).data_part()
