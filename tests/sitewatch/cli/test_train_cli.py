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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"sites:\n  - id: north\n", "site.yaml: not a YOLO data.yaml (no 'names'"),
        (b"", "site.yaml: not a YOLO data.yaml (expected a mapping"),
        (b"\xff\xfe\x00names", "site.yaml: not a YOLO data.yaml (not UTF-8 text)"),
        (b"names: [hat]\ntrain: train/images\n", "site.yaml: classes ['hat'] are not sitewatch classes"),
        (b"names: [head, helmet, person]\ntrain: nowhere\n", "split 'train' folder"),
    ],
)
def test_a_bad_data_set_is_refused_before_anything_is_written(tmp_path, content, message):
    data = tmp_path / "site.yaml"
    data.write_bytes(content)
    (tmp_path / "train" / "images").mkdir(parents=True)
    # "PATH:" (an empty class mapping) is how the auditor met it.
    result = CliRunner().invoke(app, ["train", "--data", f"{data}:", "--workdir", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()
