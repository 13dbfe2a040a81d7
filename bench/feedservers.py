"""Many feed servers on loopback addresses for benchmarks, in their own process.

A minimal asyncio HTTP/1.1 server (keep-alive, ETag → 304) per address 127.0.0.1 … 127.0.0.N, each answer
delayed to model a real server's time to first byte. Run as a subprocess so the client being measured
doesn't share its CPU time or memory with the servers.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

# The field's share of a general-news feed: about one item in ten (measured share in real outlets'
# economy/world feeds is lower still), so clustering runs on a realistic fraction.
FIELD_SLOTS = {0, 10}  # of the 20 topics below, the ones that are about the field
TOPICS = [
    "new US export controls on Nvidia AI chips",
    "city council approves new budget",
    "storm brings heavy rain",
    "football club signs striker",
    "central bank holds interest rates",
    "hospital opens new wing",
    "airline adds summer routes",
    "film festival announces lineup",
    "oil prices slip on demand worries",
    "parliament debates pension reform",
    "SK Hynix expands HBM capacity",
    "marathon closes roads on Sunday",
    "tech giant unveils new phone",
    "wheat harvest beats forecast",
    "museum reopens after renovation",
    "regional bank reports record profit",
    "school exams begin next week",
    "port strike delays cargo",
    "ferry service resumes after repairs",
    "local elections set for spring",
]
WORKLOADS = ("events", "two-stories", "field")
EVENTS = 60  # distinct field events in a cycle's window, each told by ~25 outlets

# Each company's products in the news (one per kind of development, so no two events share both).
_COMPANIES = {
    "Nvidia": ("H20", "H200", "B30A", "L20", "RTX 6000D"),
    "AMD": ("MI308", "MI325X", "MI350", "MI300X", "V80"),
    "SK Hynix": ("HBM3E", "HBM4", "LPDDR5X", "GDDR7", "DDR5"),
    "Samsung": ("HBM3E 12H", "HBM4E", "SF2", "LPDDR6", "V9"),
    "Micron": ("HBM3E 8H", "HBM4 36GB", "1-gamma", "LPDDR5", "G9"),
    "ASML": ("NXT:1980i", "NXT:2100i", "EXE:5000", "NXT:870", "YieldStar 385"),
    "Applied Materials": ("Centura Sculpta", "Endura", "Producer XP", "VeritySEM 10", "Vistara"),
    "Lam Research": ("Akara", "Kiyo", "Striker", "Vantex", "Altus Halo"),
    "TSMC": ("N7", "N5", "N3E", "N2", "CoWoS-L"),
    "Huawei": ("Ascend 910C", "Ascend 920", "Kirin 9020", "Ascend 950PR", "Atlas 900"),
    "SMIC": ("N+2", "N+3", "FinFET 14", "N+1", "28HK"),
    "CXMT": ("DDR5-8000", "LPDDR5X-10667", "HBM2E", "DDR4-3200", "G4"),
}
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def field_event(e: int) -> tuple[str, str, str]:
    """Event ``e``: (headline, wire text, a rewrite of the same facts). Events differ in company, kind of
    development, and figures and dates — what tells real events apart."""
    c = list(_COMPANIES)[e % len(_COMPANIES)]
    kind = (e // len(_COMPANIES)) % 5
    p = _COMPANIES[c][kind]
    n, pct, day, month, dow = 8 + 3 * e, 5 + e % 23, 1 + e % 28, _MONTHS[e % 12], _DAYS[e % 5]
    if kind == 0:
        return (
            f"US adds {n} firms tied to {c} supply chains to Entity List",
            f"The Commerce Department said on {dow} it added {n} companies that bought {c} {p} through "
            f"intermediaries to the Entity List, requiring a licence for any export to them from {month} {day}.",
            f"Officials said {n} buyers of {c} {p} now need export licences. The Bureau of Industry and Security "
            f"published the rule on {dow} and it applies from {month} {day}.",
        )
    if kind == 1:
        return (
            f"{c} gets US licence to ship {p} to China with a {pct}% cap",
            f"Washington granted {c} export licences for {p} sales to China on {dow}, capped at {pct}% of last "
            f"year's volume, with shipments allowed from {month} {day}.",
            f"A {pct}% volume cap comes with the licences {c} received for {p} exports to China, the company "
            f"confirmed on {dow}; deliveries may start {month} {day}.",
        )
    if kind == 2:
        return (
            f"Export controls on {c} {p} tightened from {month} {day}",
            f"New US export controls announced on {dow} cover {c} {p} and related equipment, closing a gap that "
            f"let {n} Chinese customers keep buying until {month} {day}.",
            f"The rule announced {dow} extends export curbs to {c}'s {p}; about {n} customers in China are "
            f"affected, and it takes effect {month} {day}.",
        )
    if kind == 3:
        return (
            f"China opens probe into {c} over {p} sales",
            f"China's commerce ministry opened an investigation into {c} on {dow} over sales of {p}, citing the "
            f"export control law and giving the company until {month} {day} to respond.",
            f"MOFCOM said it is examining {c}'s {p} business under the export control law; {c} has until "
            f"{month} {day} to answer, the ministry said {dow}.",
        )
    return (
        f"{c} books ${n} million charge as {p} exports to China stall",
        f"{c} said on {dow} it will take a ${n} million charge because export controls halted {p} shipments to "
        f"China, and expects no recovery before {month} {day}.",
        f"Export restrictions on {p} cost {c} ${n} million, the company said {dow}, adding that sales to China "
        f"will stay frozen at least until {month} {day}.",
    )


_AR_COMPANIES = {
    "Nvidia": "إنفيديا",
    "AMD": "إيه إم دي",
    "SK Hynix": "إس كيه هاينكس",
    "Samsung": "سامسونغ",
    "Micron": "مايكرون",
    "ASML": "إيه إس إم إل",
    "Applied Materials": "أبلايد ماتيريالز",
    "Lam Research": "لام ريسيرش",
    "TSMC": "تي إس إم سي",
    "Huawei": "هواوي",
    "SMIC": "إس إم آي سي",
    "CXMT": "سي إكس إم تي",
}


def field_template(e: int, arabic: bool) -> tuple[str, str]:
    """The all-about-the-field workload (issue 14): every item is one of two templates, English or Arabic,
    filled with event ``e``'s company, product and figures — hundreds of near-copies per event, across both
    languages, as when a breaking story is copied by every outlet."""
    c = list(_COMPANIES)[e % len(_COMPANIES)]
    p = _COMPANIES[c][(e // len(_COMPANIES)) % 5]
    n, day = 8 + 3 * e, 1 + e % 28
    if arabic:
        a = _AR_COMPANIES[c]
        return (
            f"واشنطن تشدد قيود التصدير على رقائق {p} من {a}",
            f"أعلنت وزارة التجارة الأمريكية قيودا جديدة على تصدير رقائق {p} التي تنتجها {a} إلى الصين، "
            f"وأضافت {n} شركة صينية إلى قائمة الكيانات اعتبارا من {day} من الشهر المقبل.",
        )
    return (
        f"US tightens export controls on {c} {p} chips",
        f"The Commerce Department announced new export controls on {c}'s {p} chips bound for China and added "
        f"{n} Chinese companies to the Entity List, effective on day {day} of next month.",
    )


def feed_body(feed_no: int, items: int, workload: str = "events", now: datetime | None = None) -> bytes:
    """One feed's RSS. ``workload``: ``events`` — the field items tell ``EVENTS`` distinct events, each
    carried by many outlets (half as the wire's text, half rewritten), as news is; ``two-stories`` — a
    stress case: every field item is a near-copy of one of two texts, so two stories of hundreds of
    near-duplicate members; ``field`` — every item about the field, from two templates (English for even
    feeds, Arabic for odd ones) telling ``EVENTS`` events."""
    now = now or datetime(2026, 11, 20, 12, tzinfo=UTC)  # the newest item's time; each is 17 minutes older
    entries = []
    for i in range(items):
        when = format_datetime(now - timedelta(minutes=17 * i + feed_no))
        slot = (feed_no + i) % len(TOPICS)
        t = TOPICS[slot]
        title = f"Feed {feed_no} story {i}: {t}"
        text = f"<p>Report {i} of feed {feed_no} about {t}, with details on companies, officials and markets.</p>"
        if workload == "field":
            title, text = field_template((feed_no * 31 + i * 7) % EVENTS, arabic=feed_no % 2 == 1)
            text = f"<p>{text}</p>"
        elif workload == "events" and slot in FIELD_SLOTS:
            headline, wire, rewrite = field_event((feed_no * 31 + i * 7) % EVENTS)
            title, text = (headline, wire) if feed_no % 2 == 0 else (f"{headline}, sources say", rewrite)
        entries.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>https://site{feed_no % 97}.example/news/{feed_no}/{i}</link><guid>f{feed_no}-{i}</guid>"
            f"<pubDate>{when}</pubDate><description>{escape(text)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {feed_no}</title><link>https://site.example/</link>{''.join(entries)}</channel></rss>"
    ).encode()


async def serve(
    hosts: int, port: int, feeds: int, items: int, delay: float, workload: str, days_old: float = 0.0
) -> None:
    # News as it breaks: the newest items were published when the servers started (``days_old`` shifts them
    # back: a backlog, which the reader stores through its late-backlog path).
    newest = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=days_old)
    bodies = {f"/feed/{n}.xml": feed_body(n, items, workload, newest) for n in range(feeds)}
    etags = {p: '"' + hashlib.sha1(b).hexdigest()[:16] + '"' for p, b in bodies.items()}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                inm = next((v.split(":", 1)[1].strip() for v in lines if v.lower().startswith("if-none-match:")), None)
                await asyncio.sleep(delay)  # the modelled server think time
                body = bodies.get(path)
                if body is None:
                    status, body, extra = "404 Not Found", b"", ""
                elif inm == etags[path]:
                    status, body, extra = "304 Not Modified", b"", f"ETag: {etags[path]}\r\n"
                else:
                    status, extra = "200 OK", f"ETag: {etags[path]}\r\nContent-Type: application/rss+xml\r\n"
                writer.write(f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    servers = await _bind(handle, hosts, port)
    # The port chosen (with --port 0, the default, one the system had free): the bench reads it here.
    print(f"ready {servers[0].sockets[0].getsockname()[1]}", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


async def _bind(handle: Any, hosts: int, port: int) -> list[asyncio.Server]:
    """One port on 127.0.0.1..hosts. Port 0: the system picks a free one on the first address and the
    others take the same; if one of them has it in use, all are closed and another port is tried."""
    for _ in range(20):
        servers: list[asyncio.Server] = []
        chosen = port
        try:
            for h in range(1, hosts + 1):
                servers.append(await asyncio.start_server(handle, f"127.0.0.{h}", chosen, backlog=1024))
                chosen = servers[0].sockets[0].getsockname()[1]
            return servers
        except OSError:
            for s in servers:
                s.close()
            if port:
                raise  # an explicit port that is taken: say so
    raise OSError("no port free on every loopback address")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--hosts", type=int, default=25)
    p.add_argument("--port", type=int, default=0, help="0 (default): a free port, printed after 'ready'")
    p.add_argument("--feeds", type=int, default=500)
    p.add_argument("--items", type=int, default=30)
    p.add_argument("--delay", type=float, default=0.1)
    p.add_argument("--workload", choices=WORKLOADS, default="events")
    p.add_argument("--days-old", type=float, default=0.0, help="the newest item's age (default 0: just published)")
    a = p.parse_args()
    try:
        asyncio.run(serve(a.hosts, a.port, a.feeds, a.items, a.delay, a.workload, a.days_old))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
