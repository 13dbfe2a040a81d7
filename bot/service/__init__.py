"""The long-running service (``raqib run``): scheduler, dispatcher, chat adapters, health — on one loop.

Roles: ``poller`` (feed jobs), ``dispatcher`` (the outbox), ``chat`` (Telegram/Discord listeners), ``all``.
Several processes may share one PostgreSQL: feeds are claimed with leases (``storage.leases.claim_feed``),
deliveries with ``FOR UPDATE SKIP LOCKED`` leases, and the chat listeners of a token by a named lease that
every chat worker keeps trying to take, so a listener comes back when its holder dies. Sending needs no
listener: every dispatcher sends through its own send-only notifiers.

SQLite is one process, ``--role all``: a second ``raqib run`` on the same data folder is refused while the
first is alive (pid file), and at start the leases of a dead predecessor are released at once.

``bot.app.build_service`` builds a ``Service`` (``lifecycle``), which only starts and stops its parts:

* ``roles``: the roles, what each runs, ``ServiceError``, the worker's id;
* ``jobs``: the scheduler's jobs (feed polls, retention, digests, trends) and the feed claim's slack/horizon;
* ``chats``: send-only notifiers and the chat adapters of the configured tokens;
* ``listeners``: the listener lease of each bot token;
* ``notices``: operator notices, in each operator chat's language;
* ``health``: the ``/healthz`` report;
* ``pidfile``: one SQLite service per data folder, and ``raqib reload``.

This package's ``__init__`` imports nothing: ``from bot.service.pidfile import …`` costs only that module.
"""
