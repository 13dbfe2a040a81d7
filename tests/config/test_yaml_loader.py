"""The feeds file is read with libyaml when PyYAML has it (fast start-up), and means the same as with the
pure-Python loader; syntax errors keep the pure-Python loader's wording."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, parse_config
from bot.config.load import _load_yaml

SHIPPED = Path(__file__).resolve().parents[2] / "feeds.yaml"
TRICKY = """\
settings:
  default_interval: 10m
  max_item_age: 172800
  second_look: no
  allow_private_addresses: yes
feeds:
  - {id: a, url: 'http://127.0.0.1:1/a.xml', language: ar, title: "رقائق «إنفيديا»", tags: [x, 'y: z']}
  - id: b
    url: http://127.0.0.1:1/b.xml
    language: en
    interval: 1h30m
    authority: true
    title: ~
"""


@pytest.mark.parametrize("text", [SHIPPED.read_text(encoding="utf-8"), TRICKY], ids=["shipped", "tricky"])
def test_the_fast_loader_reads_what_the_pure_python_loader_reads(text: str) -> None:
    assert _load_yaml(text) == yaml.safe_load(text)


def test_a_syntax_error_keeps_the_pure_python_loaders_words() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("feeds:\n  - id: a\n   url: x\n")
    # libyaml would say "did not find expected '-' indicator"
    assert str(err.value) == (
        "feeds.yaml:3:4: not valid YAML: expected the end of the indented block, but found a new indented block"
        " (check the indentation)"
    )
