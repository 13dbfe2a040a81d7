"""``/settings`` and ``/lang``: a chat's settings, shown, offered as buttons, validated, stored.

A setting (or a language) is stored on the chat's row, which then follows no topic (``subs.NO_TOPICS``): only
``/subscribe`` makes a chat follow topics. A refused setting creates no row and changes nothing.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from bot.commands.base import CommandBase
from bot.commands.model import Invocation
from bot.deliver.model import Button, Reply
from bot.domain import Severity
from bot.text.messages import text, words
from bot.text.names import topic_name
from storage import subscriptions as subs
from storage.tables import Subscription

# /settings severity: the word typed (either language; bot/locales/*.yaml words_severity_*) -> the stored level
SEVERITY_WORDS = {word: level for level in Severity.rising() for word in words(f"words_severity_{level}")}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SettingsCommands(CommandBase):
    def cmd_lang(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        if len(args) != 1 or args[0].lower() not in ("ar", "en"):
            return Reply(text=text(lang, "lang_usage"), error=True, language=lang)
        new = args[0].lower()
        sub = sub or subs.chat_settings(s, inv.platform, target, now=self.clock(), language=new)
        sub.interface_language, sub.updated_at = new, self.clock()
        s.add(sub)
        return Reply(text=text(new, "lang_set"), language=new)

    def cmd_settings(
        self, s: Session, inv: Invocation, target: str, sub: Subscription | None, lang: str, args: list[str]
    ) -> Reply:
        if not args:  # showing is reading: a chat without a row is shown the defaults, and gets no row
            shown = sub or self._defaults(inv, target, lang)
            return Reply(
                text=text(lang, "settings_show", **describe(shown, lang)),
                buttons=self._settings_buttons(inv, target, lang),
                language=lang,
            )
        key, values = args[0].lower(), args[1:]
        # Validate on a copy first: a refused setting must not create the chat's row (nor touch it).
        problem = apply_setting(self._defaults(inv, target, lang), key, values, lang)
        if problem:
            return Reply(text=problem, error=True, language=lang)
        sub = sub or subs.chat_settings(s, inv.platform, target, now=self.clock(), language=lang)
        apply_setting(sub, key, values, lang)
        sub.updated_at = self.clock()
        s.add(sub)
        return Reply(text=text(lang, "settings_saved", what=f"{key} {' '.join(values)}".strip()), language=lang)

    def _settings_buttons(self, inv: Invocation, target: str, lang: str) -> tuple[tuple[Button, ...], ...]:
        """One tap for the common choices; the time zone and the digest's hour are typed (/settings timezone …)."""

        def row(key: str, choices: list[tuple[str, str]]) -> tuple[Button, ...]:
            return tuple(
                Button(label, self._sign_for(inv, target, f"settings:{key}:{value}")) for label, value in choices
            )

        return (
            row("min_score", [(f"≥ {v}", v) for v in ("0", "0.3", "0.5", "0.7")]),
            row("severity", [(text(lang, f"severity_{v}"), v.value) for v in Severity.rising()]),
            row(
                "languages",
                [(text(lang, f"button_languages_{v}"), v) for v in ("ar", "en", "both")],
            ),
            row(
                "digest",
                [
                    (text(lang, "button_digest_off"), "off"),
                    (text(lang, "button_digest_daily"), "daily"),
                    (text(lang, "button_digest_weekly"), "weekly:mon"),
                ],
            ),
        )


def describe(sub: Subscription, lang: str) -> dict[str, object]:
    """A chat's settings as the values of the ``settings_show`` and ``subscriptions`` texts."""
    if subs.follows_all(sub):
        topics = text(lang, "all_topics")
    else:
        topics = ", ".join(topic_name(t, lang) for t in subs.topic_ids(sub)) or text(lang, "no_topics")
    digest = sub.digest if sub.digest == "off" else f"{sub.digest} {DAYS[sub.digest_day]} {sub.digest_hour:02d}:00"
    return {
        "topics": topics,
        "languages": sub.languages.replace(" ", "+"),
        "min_score": f"{sub.min_score:.2f}",
        "min_severity": text(lang, f"severity_{Severity.parse(sub.min_severity, Severity.NORMAL)}"),
        "timezone": sub.timezone,
        "digest": digest,
        "paused": text(lang, "paused", reason=sub.paused_reason or "") if sub.paused else "",
    }


def apply_setting(sub: Subscription, key: str, values: list[str], lang: str) -> str | None:
    """Set ``key`` to ``values`` on ``sub``; the refusal's text when they are not a valid setting."""
    if key in ("min_score", "score"):
        try:
            score = float(values[0])
        except (IndexError, ValueError):
            return text(lang, "bad_min_score")
        if not 0 <= score <= 1:
            return text(lang, "bad_min_score")
        sub.min_score = score
    elif key in ("severity", "min_severity"):
        severity = SEVERITY_WORDS.get(values[0].lower() if values else "")
        if severity is None:
            return text(lang, "bad_severity")
        sub.min_severity = severity
    elif key in ("languages", "language", "items"):
        choice = values[0].lower() if values else ""
        if choice not in ("ar", "en", "both"):
            return text(lang, "bad_languages")
        sub.languages = "ar en" if choice == "both" else choice
    elif key in ("timezone", "tz"):
        value = values[0] if values else ""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return text(lang, "bad_timezone", value=value[:64])
        sub.timezone = value
    elif key == "digest":
        return _apply_digest(sub, [v.lower() for v in values], lang)
    elif key == "trends":
        choice = values[0].lower() if values else ""
        if choice not in ("on", "off"):
            return text(lang, "bad_trends")
        sub.trend_alerts = choice == "on"
    else:
        return text(lang, "unknown_setting", value=key[:32])
    return None


def _apply_digest(sub: Subscription, values: list[str], lang: str) -> str | None:
    if values == ["off"]:
        sub.digest = "off"
        return None
    try:
        if values[0] == "daily" and len(values) in (1, 2):
            hour = int(values[1]) if len(values) == 2 else 8
            day = 0
        elif values[0] == "weekly" and len(values) in (2, 3):
            day = DAYS.index(values[1][:3])
            hour = int(values[2]) if len(values) == 3 else 8
        else:
            raise ValueError
    except (IndexError, ValueError):
        return text(lang, "bad_digest")
    if not 0 <= hour <= 23:
        return text(lang, "bad_digest")
    sub.digest, sub.digest_day, sub.digest_hour = values[0], day, hour
    return None
