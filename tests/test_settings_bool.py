"""A bool setting (`standardize`) through every front end the declaration feeds: checks, flags, URL."""

import pytest

from linreg_core.cli import build_parser
from linreg_core.settings import DATA_CHOICES, DATA_DEFAULT, Settings, SettingsError, from_query, knobs


def test_bool_settings_are_declared_as_toggles_whose_default_is_a_bool_for_every_data_source():
    bools = [(name, default, k) for name, kind, default, k in knobs() if kind is bool]
    assert [name for name, *_ in bools] == ["standardize"]
    assert all(k.widget == "toggle" and default is DATA_DEFAULT for _, default, k in bools)
    assert all(type(Settings(data=data).standardize) is bool for data in DATA_CHOICES)


@pytest.mark.parametrize("raw, expected", [(True, True), (False, False), (1, True), (0.0, False), ("on", True),
                                           (" FALSE ", False), ("yes", True), ("0", False)])  # fmt: skip
def test_a_bool_accepts_what_widgets_numbers_and_people_give(raw, expected):
    s = Settings(standardize=raw)
    assert s.standardize is expected


@pytest.mark.parametrize("raw", ["maybe", 2, 0.5, "", None, "truee"])
def test_a_bool_rejects_anything_else_by_name(raw):
    with pytest.raises(SettingsError, match="standardize must be true or false"):
        Settings(standardize=raw)


def test_the_flag_alone_turns_it_on_and_a_value_can_turn_it_off():
    parser = build_parser()
    assert Settings.from_mapping(vars(parser.parse_args([]))).standardize is False
    assert Settings.from_mapping(vars(parser.parse_args(["--data", "tips"]))).standardize is True
    assert parser.parse_args(["--standardize"]).standardize is True
    assert parser.parse_args(["--standardize", "false"]).standardize is False
    assert parser.parse_args(["--standardize", "1", "--lr", "0.1"]).standardize is True
    with pytest.raises(SettingsError, match="standardize must be true or false"):
        parser.parse_args(["--standardize", "sometimes"])


def test_a_bool_round_trips_through_the_command_line_and_the_url():
    s = Settings(standardize=True, lr=0.1)
    assert s.cli_args() == ["--lr", "0.1", "--standardize"]
    assert s.to_query() == {"lr": "0.1", "standardize": "true"}
    assert Settings.from_mapping(vars(build_parser().parse_args(s.cli_args()))) == s
    again, notices = from_query({k: [v] for k, v in s.to_query().items()})
    assert again == s and notices == []


@pytest.mark.parametrize("text, used", [("1", True), ("0", False), ("true", True), ("False", False)])
def test_the_url_reads_1_0_true_and_false(text, used):
    settings, notices = from_query({"standardize": [text]})
    assert settings.standardize is used and notices == []


def test_an_unreadable_url_bool_keeps_the_default_with_a_notice():
    settings, notices = from_query({"standardize": ["perhaps"]})
    assert settings.standardize is False
    assert [(n.param, n.text) for n in notices] == [
        ("standardize", "must be true or false (or 1 or 0); the default for this data, false, was used.")
    ]


def test_settings_that_do_not_apply_are_not_written():
    """Adam's betas mean nothing to plain gradient descent: a link or a command line leaves them out."""
    s = Settings(optimizer="gd", beta1=0.5, momentum=0.3)
    assert s.to_query() == {} and s.cli_args() == []
    assert Settings(optimizer="momentum", momentum=0.3).to_query() == {"optimizer": "momentum", "momentum": "0.3"}
    assert not Settings(optimizer="rmsprop").applies("beta2") and Settings(optimizer="adam").applies("beta2")


def test_an_unreadable_url_bool_with_tips_keeps_tips_default_and_says_it():
    settings, notices = from_query({"data": ["tips"], "standardize": ["perhaps"]})
    assert settings.standardize is True
    said = "must be true or false (or 1 or 0); the default for this data, true, was used."
    assert [n.text for n in notices] == [said]
