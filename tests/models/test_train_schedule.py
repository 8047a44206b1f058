"""Changing a resumable checkpoint's schedule (needs the train extra: torch)."""

from __future__ import annotations

import pytest

from sitewatch.models.train import checkpoint_schedule, reschedule_checkpoint

pytestmark = pytest.mark.train
torch = pytest.importorskip("torch", reason="needs the train extra (torch)")


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "last.pt"
    # The keys Ultralytics resumes from: the 0-based epoch just finished and the run's arguments.
    torch.save({"epoch": 3, "train_args": {"epochs": 20, "close_mosaic": 4, "imgsz": 416}, "model": None}, path)
    return path


def test_schedule_is_read_from_the_checkpoint(checkpoint):
    assert checkpoint_schedule(checkpoint) == {"epoch": 4, "epochs": 20, "close_mosaic": 4}


@pytest.mark.parametrize(("epochs", "close_mosaic", "expected_close"), [(13, 3, 3), (30, None, 4), (5, 0, 0)])
def test_reschedule_changes_only_the_schedule(checkpoint, epochs, close_mosaic, expected_close):
    reschedule_checkpoint(checkpoint, epochs, close_mosaic)
    assert checkpoint_schedule(checkpoint) == {"epoch": 4, "epochs": epochs, "close_mosaic": expected_close}
    state = torch.load(checkpoint, weights_only=False)
    assert state["train_args"]["imgsz"] == 416 and not checkpoint.with_suffix(".tmp").exists()


@pytest.mark.parametrize("epochs", [4, 2])
def test_a_schedule_cannot_end_before_the_epochs_done(checkpoint, epochs):
    with pytest.raises(ValueError, match="4 epochs are done already"):
        reschedule_checkpoint(checkpoint, epochs)
    assert checkpoint_schedule(checkpoint)["epochs"] == 20
