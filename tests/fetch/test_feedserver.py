"""The scripted server itself, run in a thread as benchmarks and blocking clients use it."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.fakes.feedserver import FeedServer, Reply, ServerThread


def test_server_thread_serves_blocking_clients_on_several_loopback_addresses() -> None:
    servers = [FeedServer("127.0.0.2"), FeedServer("127.0.0.3")]
    for index, srv in enumerate(servers):
        srv.route("/feed.xml", Reply(body=f"<rss>{index}</rss>".encode(), gzip=index == 1))
    with ServerThread(servers):
        first = urllib.request.urlopen(servers[0].url("/feed.xml"), timeout=5).read()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(servers[1].url("/nothing"), timeout=5)
    assert first == b"<rss>0</rss>" and missing.value.code == 404
    assert [r.path for r in servers[0].requests] == ["/feed.xml"]
    assert servers[1].requests[0].server.startswith("127.0.0.3:")
