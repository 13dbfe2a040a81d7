"""The writer's unit of work: ``store`` (new items, matches, stories, outbox rows in one transaction) and
``model`` (``Alertable``, what it hands to delivery).

Imports nothing, so that ``bot.deliver`` can name ``bot.ingest.model`` without loading the store.
"""
