"""Entry point for ``python -m freshrepl``."""

import sys

from freshrepl.cli import main

sys.exit(main())
