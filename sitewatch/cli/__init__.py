"""Command-line entry point. Each command lives in its own module and registers on ``app``."""

from __future__ import annotations

from sitewatch.cli.app import app

# Importing a command module registers its commands on ``app``.
# (command modules are imported here, one line each)


def main() -> None:
    app()


__all__ = ["app", "main"]
