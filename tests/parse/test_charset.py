"""The bytes overrule a wrong declared charset; Latin text in a Latin charset keeps it (bot.parse.charset)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.parse.charset import body_charset, with_charset

TEXTS = yaml.safe_load((Path(__file__).parents[2] / "eval" / "mojibake" / "texts.yaml").read_text(encoding="utf-8"))
ARABIC = "وزارة التجارة الأمريكية تضيف شركات صينية إلى قائمة الكيانات بسبب صلاتها بصناعة الرقائق"


def xml(text: str, declaration: str | None) -> str:
    head = f'<?xml version="1.0" encoding="{declaration}"?>' if declaration else ""
    return f"{head}<rss version='2.0'><channel><item><title>{text}</title></item></channel></rss>"


@pytest.mark.parametrize(
    ("content_type", "declaration", "encoding", "expected"),
    [
        ("application/rss+xml; charset=windows-1256", "utf-8", "utf-8", "utf-8"),
        ("application/rss+xml", "windows-1256", "utf-8", "utf-8"),
        ("application/rss+xml; charset=iso-8859-1", None, "cp1256", "windows-1256"),
        ("application/rss+xml; charset=utf-8", None, "cp1256", "windows-1256"),
        ("text/xml", "utf-8", "cp1256", "windows-1256"),
        ("application/rss+xml; charset=utf-8", "utf-8", "utf-8", None),
        ("application/rss+xml; charset=windows-1256", None, "cp1256", None),
        ("application/rss+xml; charset=iso-8859-6", None, "cp1256", None),  # another single-byte charset: kept
    ],
)
def test_the_bytes_overrule_a_wrong_charset(
    content_type: str, declaration: str | None, encoding: str, expected: str | None
) -> None:
    body = xml(ARABIC, declaration).encode(encoding)
    found = body_charset(body, content_type)
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize("declared", ["iso-8859-1", "utf-8", None])
def test_latin_text_in_latin1_keeps_its_charset(declared: str | None) -> None:
    body = xml(" ".join(TEXTS["latin"][:8]), None).encode("cp1252", "replace")
    assert body_charset(body, f"application/xml; charset={declared}" if declared else "application/xml") is None


def test_with_charset_replaces_the_content_type_charset_only() -> None:
    headers = {"content-type": "application/rss+xml; charset=iso-8859-1", "ETag": '"v1"'}
    assert with_charset(headers, "utf-8") == {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"v1"'}
    assert with_charset({}, "windows-1256") == {"Content-Type": "application/xml; charset=windows-1256"}
