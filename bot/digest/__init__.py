"""Weekly and daily digests: ranked stories grouped by topic, the period's numbers and trends, spikes, a
chart, in Arabic or English. Modules: ``period`` (slots and periods in the subscription's time zone),
``build`` (the digest from the store), ``spikes``, ``render`` (text, markdown, HTML, JSON), ``split``
(platform limits), ``chart`` (PNG), ``deliver`` (Reply and outbox payload), ``schedule`` (cron triggers,
the outbox row per period), ``cli`` and ``demo``.
"""
