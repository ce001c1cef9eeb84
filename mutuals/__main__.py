"""``python -m mutuals``: see mutuals.cli."""

import sys

from mutuals.cli import main

sys.exit(main())
