"""Average the weights of checkpoints of one model (a "weight soup").

Two checkpoints on one fine-tuning path (e.g. the end of a 512 px stage and
the end of a further 576 px stage from it) sit in the same basin of the loss;
the mean of their weights is often a little better than either, at no
training cost and no inference cost. Which average to ship is chosen on
``valid`` like any other checkpoint.

Every floating-point tensor is averaged, batch-norm running statistics
included (they describe the same features in both); integer buffers (the
batch-norm step counters) are taken from the last checkpoint.
"""

from __future__ import annotations

import copy
import hashlib
import io
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sitewatch.hardware import hardware_description
from sitewatch.models.train import _save_replacing, _write_ledger, checkpoint_network, checkpoint_path, read_ledger


def average_checkpoints(paths: Sequence[Path], out: Path) -> list[dict]:
    """Write the mean of the checkpoints' weights to ``out``; return a ledger record per source.

    The result keeps the last checkpoint's training arguments (input size and
    so on) and no optimizer state, as a committed checkpoint does. All
    checkpoints must hold the same architecture.
    """
    import torch

    if len(paths) < 2:
        raise ValueError("averaging needs at least two checkpoints")
    states, records = [], []
    for path in paths:
        if not Path(path).is_file():
            raise FileNotFoundError(f"no checkpoint at {path}")
        data = Path(path).read_bytes()
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)
        states.append(state)
        args = state.get("train_args") or {}
        records.append({"weights": str(path), "sha256": hashlib.sha256(data).hexdigest(), "imgsz": args.get("imgsz")})
    models = [checkpoint_network(Path(p), s) for p, s in zip(paths, states, strict=True)]
    tensors = [m.state_dict() for m in models]
    reference = tensors[0]
    for path, other in zip(paths[1:], tensors[1:], strict=True):
        mismatched = set(reference) ^ set(other) or {k for k in reference if reference[k].shape != other[k].shape}
        if mismatched:
            raise ValueError(f"{path}: not the same architecture as {paths[0]} ({len(mismatched)} tensors differ)")
    averaged = {}
    for key, first in reference.items():
        if first.is_floating_point():
            mean = sum(t[key].double() for t in tensors) / len(tensors)
            averaged[key] = mean.to(first.dtype)
        else:
            averaged[key] = tensors[-1][key]
    model = copy.deepcopy(models[-1])
    model.load_state_dict(averaged)
    state = dict(states[-1])
    # Stored as the EMA weights with no optimizer, like a compacted checkpoint:
    # Ultralytics loads them for export and as a fine-tuning start.
    state.update(model=None, ema=model, optimizer=None, scaler=None, updates=None)
    _save_replacing(state, Path(out))
    return records


def average_into_checkpoint(name: str, paths: Sequence[Path]) -> Path:
    """Average ``paths`` into ``models/checkpoints/NAME-last.pt`` and record it in the ledger."""
    started, started_at = time.monotonic(), datetime.now(UTC).isoformat(timespec="seconds")
    runs = read_ledger(name)
    # The average is exported at the size of the last trained stage unless told otherwise.
    settings = dict(runs[-1]["settings"]) if runs else {"name": name}
    out = checkpoint_path(name)
    records = average_checkpoints(paths, out)
    runs.append({
        "started": started_at,
        "hardware": hardware_description(),
        "kind": "average",
        "averaged": records,
        "settings": settings,
        "data": runs[-1].get("data", []) if runs else [],
        "resumed": False,
        "epochs_done": [],
        "seconds": round(time.monotonic() - started, 1),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    _write_ledger(name, runs)
    return out
