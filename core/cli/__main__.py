"""``python -m core.cli``: the ``safeloop`` command."""

import sys

from core.cli import main

sys.exit(main())
