"""Errors a user can cause when opening the store; their messages never contain a password."""

from __future__ import annotations

import os
from pathlib import Path


class StoreError(Exception):
    """The store cannot be opened for a reason the user can fix; the message says which."""


class StoreUnusable(StoreError):
    """The database or evidence folder is there but cannot be used.

    Not a database, another program's tables, a schema from a newer sitewatch,
    a file where a folder must go.
    """


def make_folder(folder: Path, what: str) -> None:
    """``mkdir -p`` ``folder``, or a ``StoreUnusable`` saying why ``what`` cannot be created."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnusable(f"cannot create {what}: {folder_problem(folder, exc)}") from None


def folder_problem(folder: Path, exc: OSError) -> str:
    """Why ``folder`` could not be created, naming the file in the way when there is one."""
    for path in (folder, *folder.parents):
        # os.path, unlike Path, answers False rather than raising where it may not look
        if os.path.exists(path) and not os.path.isdir(path):
            return f"{path} is a file, not a folder"
    return exc.strerror or type(exc).__name__
