"""``python -m metanas`` runs the CLI."""

import sys

from metanas.cli import main

sys.exit(main())
