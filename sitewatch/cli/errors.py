"""User errors: one clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

P = ParamSpec("P")
R = TypeVar("R")

EXIT_USER_ERROR = 2


class UserError(Exception):
    """Something the user can fix (a missing file, a bad config, a bad video)."""


def report_user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn ``UserError`` (and config errors) into a message and exit code 2."""
    from sitewatch.config import ConfigError

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            for line in exc.lines:
                print(f"error: {line}", file=sys.stderr)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_USER_ERROR) from None

    return wrapper
