"""``python -m bot.cli``: the ``raqib`` command."""

import sys

from bot.cli import entry

sys.exit(entry())
