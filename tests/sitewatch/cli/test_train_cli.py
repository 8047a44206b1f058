"""``sitewatch train``: argument mistakes get one line and exit 2, before any training starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sitewatch.cli import app


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--init-from", "{weights}", "--resume"], "give one of them"),
        (["--init-from", "{missing}"], "no such weights file"),
        (["--lookalikes", "1.5"], "less than or equal to 1"),
        (["--average", "{weights}"], "at least two checkpoints"),
        (["--average", "{weights}", "--average", "{missing}"], "no such checkpoint to average"),
        (["--average", "{weights}", "--average", "{weights}", "--resume"], "without training"),
        (["--average", "{weights}", "--average", "{weights}", "--export-only"], "without training"),
        (["--hours", "0.5", "--resume"], "--hours times a new schedule"),
        (["--hours", "0.5", "--export-only"], "--hours times a new schedule"),
        (["--hours", "0.001"], "greater than or equal to 0.01"),
        (["--freeze", "11"], "needs --init-from"),
        (["--freeze", "11", "--resume"], "needs --init-from"),
        (["--init-from", "{weights}", "--freeze", "-1"], "greater than or equal to 0"),
    ],
)
def test_bad_training_arguments_are_refused(tmp_path, extra, message):
    weights = tmp_path / "last.pt"
    weights.write_bytes(b"weights")
    args = [a.format(weights=weights, missing=tmp_path / "absent.pt") for a in extra]
    result = CliRunner().invoke(app, ["train", "--data", str(tmp_path / "data.yaml"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
