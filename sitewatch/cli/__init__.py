"""Command-line entry point. Each command lives in its own module and registers on ``app``."""

from __future__ import annotations

from sitewatch.cli.app import app

# Importing a command module registers its commands on ``app``.
from sitewatch.cli import score as _score  # noqa: E402,F401
from sitewatch.cli import train as _train  # noqa: E402,F401
from sitewatch.cli import eval_images as _eval_images  # noqa: E402,F401
from sitewatch.cli import eval_clips as _eval_clips  # noqa: E402,F401
from sitewatch.cli import check_config as _check_config  # noqa: E402,F401
from sitewatch.cli import keys as _keys  # noqa: E402,F401
from sitewatch.cli import api as _api  # noqa: E402,F401
from sitewatch.cli import serve as _serve  # noqa: E402,F401
from sitewatch.cli import quantize as _quantize  # noqa: E402,F401


def main() -> None:
    app()


__all__ = ["app", "main"]
