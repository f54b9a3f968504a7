"""``python -m metanas.integrations.optuna``: the same as ``metanas optuna``."""

from __future__ import annotations

import sys

from metanas.cli import main

if __name__ == "__main__":
    sys.exit(main(["optuna", *sys.argv[1:]]))
