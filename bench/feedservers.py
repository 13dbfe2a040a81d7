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


def feed_body(feed_no: int, items: int) -> bytes:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    # General-news feeds: about one item in ten is about the field (measured share in real outlets'
    # economy/world feeds is lower still), so clustering runs on a realistic fraction.
    topics = [
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
    entries = []
    for i in range(items):
        when = format_datetime(now - timedelta(minutes=17 * i + feed_no))
        t = topics[(feed_no + i) % len(topics)]
        entries.append(
            f"<item><title>Feed {feed_no} story {i}: {t}</title>"
            f"<link>https://site{feed_no % 97}.example/news/{feed_no}/{i}</link><guid>f{feed_no}-{i}</guid>"
            f"<pubDate>{when}</pubDate><description>&lt;p&gt;Report {i} of feed {feed_no} about {t}, with "
            f"details on companies, officials and markets.&lt;/p&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {feed_no}</title><link>https://site.example/</link>{''.join(entries)}</channel></rss>"
    ).encode()


async def serve(hosts: int, port: int, feeds: int, items: int, delay: float) -> None:
    bodies = {f"/feed/{n}.xml": feed_body(n, items) for n in range(feeds)}
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

    servers = [await asyncio.start_server(handle, f"127.0.0.{h}", port, backlog=1024) for h in range(1, hosts + 1)]
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--hosts", type=int, default=25)
    p.add_argument("--port", type=int, default=18080)
    p.add_argument("--feeds", type=int, default=500)
    p.add_argument("--items", type=int, default=30)
    p.add_argument("--delay", type=float, default=0.1)
    a = p.parse_args()
    try:
        asyncio.run(serve(a.hosts, a.port, a.feeds, a.items, a.delay))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
