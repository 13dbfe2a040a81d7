"""``python -m bot.cli``: the ``raqib`` command."""

import sys

from bot.cli import main

sys.exit(main())
