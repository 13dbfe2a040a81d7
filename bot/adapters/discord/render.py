"""AlertView / Reply → Discord message payloads (pure: no I/O, no discord.py objects).

An alert is one embed: linked title, the excerpt with matched spans in bold, source and time, a colour per
topic, matched entities, the other outlets when the story grew, and the authority's own document. Discord's
limits (title 256, description 4096, 25 fields, field name 256 / value 1024, footer 2048, author 256, 6000 in
total over a message's embeds, 2000 for content) are enforced here; the description takes what the other
parts leave. Labels follow the chat's language; Latin runs in Arabic text are bidi-isolated (see text.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.adapters.discord.text import ELLIPSIS, clean, fit, fit_text, pieces, split_plain, truncate_plain
from bot.adapters.pack import blocks_of, pack
from bot.deliver.model import AlertView, Button, Document, Reply, SourceRef
from bot.text import locale
from bot.text.length import utf16_len
from bot.text.names import topic_name
from bot.text.urls import markdown_url

TITLE, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, FOOTER, AUTHOR = 256, 4096, 25, 256, 1024, 2048, 256
TOTAL, CONTENT, EMBEDS_PER_MESSAGE = 6000, 2000, 10
BUTTON_LABEL, CUSTOM_ID, BUTTONS_PER_ROW, ROWS = 80, 100, 5, 5

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class DiscordMessage:
    """One message to send: what every sender (interaction, channel, webhook) turns into discord.py calls."""

    content: str | None = None
    embeds: tuple[dict[str, Any], ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    png: bytes | None = None
    documents: tuple[Document, ...] = ()  # attached as files beside the PNG (an export's CSV and JSON)
    ephemeral: bool = False
    mention_role_id: int | None = None  # the only mention allowed to ping (a subscription's chosen role)


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters Discord counts towards the 6000 total of a message."""
    total = utf16_len(embed.get("title", "")) + utf16_len(embed.get("description", ""))
    total += utf16_len(embed.get("footer", {}).get("text", "")) + utf16_len(embed.get("author", {}).get("name", ""))
    return total + sum(utf16_len(f["name"]) + utf16_len(f["value"]) for f in embed.get("fields", ()))


@cache
def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class DiscordRenderer:
    """Builds embeds and messages. Data files are read once; inject mappings in tests or for other themes."""

    def __init__(
        self,
        labels: Mapping[str, Mapping[str, Any]],
        colours: Mapping[str, Any],
    ) -> None:
        self.labels = labels
        self.default_colour = int(str(colours.get("default", "5865F2")), 16)
        self.colours = {k: int(str(v), 16) for k, v in (colours.get("topics") or {}).items()}

    @classmethod
    def default(cls) -> DiscordRenderer:
        return cls(locale.load("discord"), _load_yaml(_HERE / "colours.yaml"))

    # -- labels -------------------------------------------------------------------------------------------------
    def _label(self, language: str, key: str) -> Any:
        table = self.labels.get(language) or self.labels["en"]
        return table.get(key, self.labels["en"][key])

    def colour(self, alert: AlertView) -> int:
        return next((self.colours[t] for t in alert.topics if t in self.colours), self.default_colour)

    # -- alerts -------------------------------------------------------------------------------------------------
    def alert_embed(self, alert: AlertView, *, language: str, budget: int = TOTAL) -> dict[str, Any]:
        """One alert as an embed dict whose counted length is at most ``budget`` (≤ 6000)."""
        budget = min(budget, TOTAL)
        compact = budget < TOTAL // 2
        rtl_chat = language == "ar"
        sep = "، " if rtl_chat else ", "
        embed: dict[str, Any] = {"color": self.colour(alert), "timestamp": alert.published.isoformat()}
        url = markdown_url(alert.url)
        if url:
            embed["url"] = url
        embed["author"] = {"name": truncate_plain(alert.source or "—", 60 if compact else AUTHOR)}
        severity = self._label(language, "severity").get(alert.severity, alert.severity)
        topics = sep.join(topic_name(t, language) for t in alert.topics)
        footer = f"{severity} · {topics}" if topics else severity
        embed["footer"] = {"text": truncate_plain(footer, 100 if compact else 300)}
        # Titles are bold already: title highlights would only add noise.
        embed["title"] = fit_text(alert.title or "—", 100 if compact else TITLE)

        optional = self._optional_fields(alert, language, sep, compact)
        stamp = int(alert.published.timestamp())
        source_field = {
            "name": self._label(language, "source"),
            "value": f"{fit_text(alert.source or '—', 80 if compact else 200)} · <t:{stamp}:f> (<t:{stamp}:R>)",
            "inline": False,
        }
        fields = [source_field, *optional]
        # The description gets what the rest leaves; optional fields go first when the budget is tight.
        while True:
            embed["fields"] = fields[:FIELDS]
            room = min(DESCRIPTION, budget - embed_length(embed))
            if room >= min(400, budget // 3) or len(fields) == 1:
                break
            fields = fields[:-1]
        if room < 1:  # a tiny budget: shorten the title until something fits
            embed["title"] = fit_text(alert.title or "—", max(8, utf16_len(embed["title"]) + room - 8))
            room = budget - embed_length(embed)
        excerpt = alert.excerpt or ""
        if excerpt and room > utf16_len(ELLIPSIS):
            bold = [(h.start, h.end) for h in alert.highlights if h.field == "excerpt"]
            embed["description"] = fit(pieces(excerpt, bold=bold), room)
        return embed

    def _optional_fields(self, alert: AlertView, language: str, sep: str, compact: bool) -> list[dict[str, Any]]:
        value_limit = 300 if compact else FIELD_VALUE
        fields: list[dict[str, Any]] = []
        if alert.entities:
            joined = sep.join(alert.entities)
            fields.append(self._field(language, "entities", fit_text(joined, value_limit)))
        if alert.primary_source:
            fields.append(self._field(language, "primary_source", self._source_line(alert.primary_source)))
        others = [s for s in alert.also_reported_by if s.name != alert.source]
        if others:
            fields.append(self._field(language, "also_reported_by", self._source_list(others, language, value_limit)))
        if alert.reasons and not compact:
            reasons = "\n".join(f"• {fit_text(r, 200)}" for r in alert.reasons[:8])
            fields.append(self._field(language, "reasons", _cut_lines(reasons, value_limit)))
        return fields

    def _field(self, language: str, key: str, value: str) -> dict[str, Any]:
        name = truncate_plain(str(self._label(language, key)), FIELD_NAME)
        return {"name": name, "value": value or "—", "inline": False}

    def _source_line(self, ref: SourceRef) -> str:
        name = fit_text(ref.name or "—", 150)
        url = markdown_url(ref.url)
        return f"[{name}]({url})" if url else name

    def _source_list(self, refs: list[SourceRef], language: str, limit: int) -> str:
        lines: list[str] = []
        used = 0
        for i, ref in enumerate(refs):
            line = f"• {self._source_line(ref)}"
            after = len(refs) - i - 1
            reserve = utf16_len(str(self._label(language, "more")).format(n=after)) + 1 if after else 0
            if used + utf16_len(line) + 1 + reserve > limit:
                lines.append(str(self._label(language, "more")).format(n=len(refs) - i))
                break
            lines.append(line)
            used += utf16_len(line) + 1
        return "\n".join(lines)

    def alert_message(self, alert: AlertView, *, language: str, mention_role_id: int | None = None) -> DiscordMessage:
        content = f"<@&{mention_role_id}>" if mention_role_id else None
        return DiscordMessage(
            content=content,
            embeds=(self.alert_embed(alert, language=language),),
            mention_role_id=mention_role_id,
        )

    # -- replies ------------------------------------------------------------------------------------------------
    def reply_messages(self, reply: Reply) -> list[DiscordMessage]:
        """A command's reply as one or more messages (its text's blocks packed whole within 2000; at most 10 embeds
        and 6000 per message)."""
        ephemeral = reply.ephemeral or reply.error
        # The text's blocks go whole into messages (bot.adapters.pack); split_plain escapes a block and cuts it
        # at its lines only when it alone is longer than a message.
        texts = pack((split_plain(b, CONTENT) for b in blocks_of(clean(reply.text))), CONTENT, utf16_len)
        groups: list[tuple[dict[str, Any], ...]] = []
        alerts = list(reply.alerts)
        for i in range(0, len(alerts), EMBEDS_PER_MESSAGE):
            batch = alerts[i : i + EMBEDS_PER_MESSAGE]
            share = TOTAL // len(batch)
            groups.append(tuple(self.alert_embed(a, language=reply.language, budget=share) for a in batch))
        messages: list[DiscordMessage] = [DiscordMessage(content=t, ephemeral=ephemeral) for t in texts]
        if groups:
            if messages:  # the last text message carries the first embeds
                messages[-1] = DiscordMessage(content=messages[-1].content, embeds=groups[0], ephemeral=ephemeral)
            else:
                messages.append(DiscordMessage(embeds=groups[0], ephemeral=ephemeral))
            messages.extend(DiscordMessage(embeds=g, ephemeral=ephemeral) for g in groups[1:])
        if not messages:
            messages.append(DiscordMessage(content=ELLIPSIS, ephemeral=ephemeral))
        if reply.image is not None:
            # The chart shows inside an embed (the attachment is named digest.png by both notifiers).
            chart = {"image": {"url": "attachment://digest.png"}}
            if len(messages[-1].embeds) >= EMBEDS_PER_MESSAGE:
                messages.append(DiscordMessage(embeds=(chart,), ephemeral=ephemeral))
            else:
                tail = messages[-1]
                messages[-1] = DiscordMessage(content=tail.content, embeds=(*tail.embeds, chart), ephemeral=ephemeral)
        last = messages[-1]
        messages[-1] = DiscordMessage(
            content=last.content,
            embeds=last.embeds,
            buttons=_buttons(reply.buttons),
            png=reply.image,
            documents=reply.documents,
            ephemeral=ephemeral,
        )
        return messages


def _cut_lines(text: str, limit: int) -> str:
    """Keep whole lines (each already escaped) within ``limit``."""
    out: list[str] = []
    used = 0
    for line in text.split("\n"):
        if used + utf16_len(line) + 1 > limit:
            break
        out.append(line)
        used += utf16_len(line) + 1
    return "\n".join(out) or ELLIPSIS


def _buttons(rows: tuple[tuple[Button, ...], ...]) -> tuple[tuple[Button, ...], ...]:
    """Discord's component limits: 5 rows of 5, label 80, custom_id 100 (longer data is dropped, not cut:
    a cut signature would only be refused by the core)."""
    out: list[tuple[Button, ...]] = []
    for row in rows[:ROWS]:
        kept = tuple(
            Button(text=truncate_plain(b.text, BUTTON_LABEL) or "•", data=b.data)
            for b in row[:BUTTONS_PER_ROW]
            if 0 < len(b.data) <= CUSTOM_ID
        )
        if kept:
            out.append(kept)
    return tuple(out)


__all__ = ["DiscordMessage", "DiscordRenderer", "embed_length"]
