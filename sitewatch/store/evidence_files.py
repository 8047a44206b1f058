"""Evidence JPEGs on disk, named by evidence id only.

Ids are UUIDs and are checked as such before they become file names, so no
caller (and no API client) can make the store read or write another path.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from sitewatch.store.errors import make_folder


class EvidenceFiles:
    def __init__(self, directory: Path, *, create: bool = True):
        """``create=False`` for users that never read or write snapshots: the folder is left alone."""
        self.directory = Path(directory)
        if create:
            # Created (and so checked) up front: a broken folder found at the first event
            # would lose that event's evidence and every one after it.
            make_folder(self.directory, f"evidence folder {self.directory}")

    def path_for(self, evidence_id: str) -> Path:
        try:
            canonical = str(uuid.UUID(evidence_id))
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"not an evidence id: {evidence_id!r}") from None
        if canonical != evidence_id:
            raise ValueError(f"not a canonical evidence id: {evidence_id!r}")
        # two-character fan-out keeps directories small on long-running sites
        return self.directory / canonical[:2] / f"{canonical}.jpg"

    def write(self, evidence_id: str, data: bytes) -> None:
        path = self.path_for(evidence_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        # write-then-rename so that a reader never sees half a JPEG
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".jpg")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, evidence_id: str) -> bytes | None:
        try:
            return self.path_for(evidence_id).read_bytes()
        except (FileNotFoundError, ValueError):
            return None
