"""The writer's unit of work: ``store`` writes new items, matches, stories and outbox rows in one transaction
and hands on what may alert (``bot.deliver.alertable.Alertable``); ``job`` holds its data (``StoreJob``,
``StoredBatch``, ``PollMark``, ``NewRow``), ``outbox`` the alerts' rows under the caps.

Imports nothing, so that naming a module of the package costs only that module.
"""
