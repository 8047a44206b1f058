"""Evidence files are addressed by id only: nothing else can become a path."""

from __future__ import annotations

import uuid

import pytest

from sitewatch.store.evidence_files import EvidenceFiles


def test_write_and_read(tmp_path):
    files = EvidenceFiles(tmp_path)
    evidence_id = str(uuid.uuid4())
    files.write(evidence_id, b"\xff\xd8jpeg")
    assert files.read(evidence_id) == b"\xff\xd8jpeg"
    assert files.path_for(evidence_id).is_relative_to(tmp_path)


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "/etc/passwd", "a" * 36, "", "..", str(uuid.uuid4()).upper()]
)
def test_anything_but_a_canonical_uuid_is_refused(tmp_path, bad):
    files = EvidenceFiles(tmp_path)
    with pytest.raises(ValueError):
        files.path_for(bad)
    assert files.read(bad) is None


def test_missing_file_reads_as_none(tmp_path):
    assert EvidenceFiles(tmp_path).read(str(uuid.uuid4())) is None
