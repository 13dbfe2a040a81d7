"""discord.py imports the deprecated ``audioop`` (voice support we don't use) on Python 3.11-3.12; the project
turns warnings into errors, so import it once here with that one warning silenced."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
    import discord  # noqa: F401
