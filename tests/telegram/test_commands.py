"""Reading command text: addressee, quoted arguments, caps."""

from __future__ import annotations

from bot.adapters.telegram.commands import TARGET_RE, cap_problem, parse_command, split_args


def test_parse_command_with_and_without_bot_name() -> None:
    assert parse_command("/latest hbm 10") == parse_command("/latest  hbm 10 ")
    cmd = parse_command("/Latest@RaqibBot hbm")
    assert cmd is not None and (cmd.command, cmd.bot, cmd.raw_args) == ("latest", "RaqibBot", "hbm")
    assert parse_command("/start") is not None and parse_command("/start").raw_args == ""  # type: ignore[union-attr]
    for not_a_command in ("hello /latest", "/", "/ latest", "/latest-x", None, ""):
        assert parse_command(not_a_command) is None


def test_split_args_respects_quotes() -> None:
    assert split_args('hbm "export controls" 10') == ("hbm", "export controls", "10")
    assert split_args("«رقائق  الذكاء» إنفيديا") == ("رقائق الذكاء", "إنفيديا")
    assert split_args("“AI chips” don't") == ("AI chips", "don't")
    assert split_args('"unclosed quote here') == ('"unclosed', "quote", "here")
    assert split_args('""  a') == ("a",)


def test_caps() -> None:
    assert cap_problem("hbm 10") is None
    assert cap_problem("x" * 10_000) == "args_too_long"
    assert cap_problem("ب" * 600) == "args_too_long"  # bytes, not characters: 1,200 bytes
    assert cap_problem(" ".join("abcdefghijklmnopqrstu")) == "too_many_args"  # 21 arguments
    assert cap_problem(" ".join(f"t{i}" for i in range(500))) is not None
    assert cap_problem('"a b c d e f g h i j k l m n o p q r s t u v"') is None  # one quoted phrase


def test_target_pattern() -> None:
    assert TARGET_RE.fullmatch("@raqib_news") and TARGET_RE.fullmatch("-1001234567890")
    assert not TARGET_RE.fullmatch("@ab") and not TARGET_RE.fullmatch("hbm") and not TARGET_RE.fullmatch("-5")
