"""Train a head / helmet / person YOLO from scratch and export it to ONNX.

Ultralytics and torch are used here and nowhere on the runtime path; they come
with the optional ``train`` extra. Nothing is downloaded: the network is built
from a model YAML (``yolo11n.yaml``), never from a pretrained checkpoint. A
later stage may fine-tune from one of our own checkpoints (``init_from``), e.g.
at a larger input size or with look-alikes drawn into the photos.

Long CPU runs span several sessions, so every saved epoch is also copied to a
checkpoint under ``models/checkpoints/`` (committed, replaced each time) and a
ledger beside it records each run's settings, epochs and wall time. ``--resume``
picks the run up from that checkpoint on any machine.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sitewatch.hardware import hardware_description
from sitewatch.models.datasets import DataSource, build_training_set

MODELS_DIR = Path(__file__).resolve().parent
CHECKPOINT_DIR = MODELS_DIR / "checkpoints"


def _offline_environment(workdir: Path) -> None:
    # Ultralytics must never reach for the network: no weight downloads, no
    # font fetches, no pip installs, no telemetry; keep its settings local too.
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("YOLO_CONFIG_DIR", str(workdir / "ultralytics-settings"))
    os.environ.setdefault("YOLO_VERBOSE", "True")


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides what a training run produces (recorded in the ledger)."""

    name: str = "hardhat-yolo11n"
    model_yaml: str = "yolo11n.yaml"
    imgsz: int = 416
    epochs: int = 20
    batch: int = 16
    device: str = "cpu"
    workers: int = 2
    seed: int = 0
    # Scale augmentation 0.6 (0.4x..1.6x) reaches the 8-15 px heads of far-field
    # cameras more often than the default 0.5 without starving large heads.
    scale: float = 0.6
    close_mosaic: int = 4
    warmup_epochs: float = 1.0
    cos_lr: bool = True
    cache: str = "ram"
    fraction: float = 1.0
    torch_threads: int = 0  # 0: every core
    # Share of train photos with cones / lamp heads / balls drawn in as
    # unlabelled background (models/lookalikes.py); 0 trains on the photos as they are.
    lookalikes: float = 0.0
    # Far-field canvases added per train photo, each holding 4-16 shrunk train
    # photos (models/far_field.py); 0 adds none.
    far_field: float = 0.0
    # Fine-tuning: start a new schedule from these weights (a checkpoint of an
    # earlier sitewatch run) instead of from scratch; lr0 None lets Ultralytics choose.
    init_from: str | None = None
    lr0: float | None = None
    # Train for this many hours instead of a fixed epoch count: Ultralytics
    # fits the epoch count to the time after the first epoch, so the cosine
    # schedule and the mosaic-off tail still finish (a GPU lease, a CPU night).
    hours: float | None = None
    # Fine-tuning: keep the first ``freeze`` layers of the network as they are
    # (yolo11n's backbone is layers 0-10, so 11 trains only the neck and head).
    # A few hundred of a site's own photos, or a push against look-alikes,
    # then adjusts what the layers above make of the features without
    # unlearning the features themselves, at about two thirds of the cost.
    freeze: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def training_hardware(device: str) -> str:
    """The machine a run trains on, for the ledger: the GPU too when it trains on one."""
    cpu = hardware_description()
    if device == "cpu":
        return cpu
    import torch

    if not torch.cuda.is_available():
        return cpu
    first = device.split(",")[0]
    return f"{torch.cuda.get_device_name(int(first) if first.isdigit() else 0)}; {cpu}"


def checkpoint_path(name: str) -> Path:
    return CHECKPOINT_DIR / f"{name}-last.pt"


def ledger_path(name: str) -> Path:
    return CHECKPOINT_DIR / f"{name}-runs.json"


def read_ledger(name: str) -> list[dict]:
    path = ledger_path(name)
    return json.loads(path.read_text()) if path.exists() else []


def _write_ledger(name: str, runs: list[dict]) -> None:
    CHECKPOINT_DIR.mkdir(parents=True, exist_ok=True)
    ledger_path(name).write_text(json.dumps(runs, indent=2) + "\n")


def compact_checkpoint(src: Path, dst: Path) -> Path:
    """Copy an Ultralytics ``last.pt`` without its optimizer state (21 of its 26 MB).

    What resuming needs is kept: the EMA weights, epoch, schedule position and
    training arguments. Adam's moment estimates restart from zero on resume;
    Adam's bias correction makes that a brief, mild warm-up rather than a jolt.
    This keeps the committed checkpoint at a few MB.
    """
    import torch

    ckpt = torch.load(src, map_location="cpu", weights_only=False)
    ckpt["optimizer"] = None
    _save_replacing(ckpt, dst)
    return dst


def _save_replacing(state: dict, dst: Path) -> None:
    # Write beside and rename, so that a run stopped mid-write never leaves a
    # truncated checkpoint where the next session resumes from.
    import torch

    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(dst)


def _schedule_of(state: dict) -> dict[str, int]:
    args = state.get("train_args") or {}
    return {"epoch": int(state.get("epoch", -1)) + 1, "epochs": int(args.get("epochs", 0)),
            "close_mosaic": int(args.get("close_mosaic", 0))}


def checkpoint_schedule(ckpt: Path) -> dict[str, int]:
    """The epochs a checkpoint has finished, and the schedule (length, mosaic-off tail) it resumes into."""
    import torch

    return _schedule_of(torch.load(ckpt, map_location="cpu", weights_only=False))


def reschedule_checkpoint(ckpt: Path, epochs: int | None = None, close_mosaic: int | None = None) -> dict[str, int]:
    """Change the schedule a checkpoint resumes into and return it (see :func:`checkpoint_schedule`).

    Ultralytics only resumes into the epoch count it started with. On a CPU the
    run spans sessions, and a cosine schedule that cannot finish within the time
    at hand leaves a model at a high learning rate; shortening the schedule lets
    the learning rate anneal and mosaic close before the time runs out (the
    learning rate follows the new cosine from the next epoch on). Lengthening
    it continues a finished-early schedule. ``None`` keeps that part as it is.
    """
    import torch

    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    before = _schedule_of(state)
    epochs = before["epochs"] if epochs is None else epochs
    if epochs <= before["epoch"]:
        raise ValueError(
            f"{ckpt}: {before['epoch']} epochs are done already; --epochs must be more than that to resume"
        )
    state["train_args"]["epochs"] = epochs
    if close_mosaic is not None:
        state["train_args"]["close_mosaic"] = close_mosaic
    _save_replacing(state, ckpt)
    return _schedule_of(state)


def checkpoint_network(path: Path, state: dict):
    """The network a loaded checkpoint holds: its EMA weights (what Ultralytics trains towards and exports), else
    its model."""
    network = state.get("ema") or state.get("model")
    if network is None or not hasattr(network, "state_dict"):
        raise ValueError(f"{path}: no model weights in this checkpoint")
    return network


def _starting_point(weights: Path, copy_to: Path) -> dict:
    """Copy fine-tuning's starting weights aside and describe them for the ledger."""
    import hashlib

    import torch

    if not weights.is_file():
        raise FileNotFoundError(f"no weights to start from at {weights}")
    copy_to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(weights, copy_to)
    state = torch.load(copy_to, map_location="cpu", weights_only=False)
    args = state.get("train_args") or {}
    return {
        "path": copy_to,
        "layers": len(checkpoint_network(weights, state).model),
        "record": {
            "weights": str(weights),
            "sha256": hashlib.sha256(copy_to.read_bytes()).hexdigest(),
            "epochs": int(state.get("epoch", -1)) + 1,
            "imgsz": args.get("imgsz"),
        },
    }


def train(
    sources: Sequence[DataSource],
    settings: TrainSettings,
    workdir: Path,
    resume: bool = False,
    resume_epochs: int | None = None,
    resume_close_mosaic: int | None = None,
) -> Path:
    """Train (or resume) and return the path of the best weights (.pt).

    ``resume_epochs`` and ``resume_close_mosaic`` (with ``resume``) change the
    total length of the resumed schedule and its mosaic-off tail; see
    :func:`reschedule_checkpoint`.
    """
    _offline_environment(workdir)
    from ultralytics import YOLO  # train extra only

    if resume:
        ckpt = checkpoint_path(settings.name)
        if not ckpt.exists():
            raise FileNotFoundError(f"no checkpoint to resume from at {ckpt}")
        if resume_epochs is None and resume_close_mosaic is None:
            schedule = checkpoint_schedule(ckpt)
        else:
            schedule = reschedule_checkpoint(ckpt, resume_epochs, resume_close_mosaic)
        # The ledger records the schedule actually resumed into, and the run
        # goes on with the data (look-alikes drawn in or not) it started with.
        earlier = (read_ledger(settings.name) or [{}])[-1].get("settings", {})
        settings = replace(
            settings, epochs=schedule["epochs"], close_mosaic=schedule["close_mosaic"],
            imgsz=earlier.get("imgsz", settings.imgsz), lookalikes=earlier.get("lookalikes", settings.lookalikes),
            far_field=earlier.get("far_field", 0.0), init_from=earlier.get("init_from"), lr0=earlier.get("lr0"),
            freeze=earlier.get("freeze", 0),
        )

    init_state = None
    if settings.init_from and not resume:
        # Read the starting weights before this run's first epoch replaces the
        # committed checkpoint they may come from.
        init_state = _starting_point(Path(settings.init_from), workdir / f"{settings.name}-start.pt")
        layers = init_state["layers"]
        if settings.freeze >= layers:
            # Ultralytics would train nothing and report success.
            raise ValueError(
                f"--freeze {settings.freeze}: {settings.init_from} has {layers} layers, so nothing would learn "
                f"(its detection head is layer {layers - 1}; 11 freezes yolo11n's backbone)"
            )
    data_yaml = build_training_set(
        sources, workdir / "data" / settings.name, lookalikes=settings.lookalikes, seed=settings.seed,
        far_field=settings.far_field,
    )
    runs = read_ledger(settings.name)
    run_record = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "hardware": training_hardware(settings.device),
        "settings": asdict(settings),
        "data": [str(s.data_yaml) for s in sources],
        "resumed": resume,
        **({"init_from": init_state["record"]} if init_state else {}),
        "epochs_done": [],
        "seconds": 0.0,
    }
    runs.append(run_record)
    started = time.monotonic()

    def on_model_save(trainer) -> None:
        # Copy each saved epoch to the committed checkpoint so that a later
        # session (or a fresh machine) can resume from it.
        last = Path(trainer.last)
        if last.exists():
            compact_checkpoint(last, checkpoint_path(settings.name))
        run_record["epochs_done"].append(trainer.epoch + 1)
        run_record["seconds"] = round(time.monotonic() - started, 1)
        run_record["fitness"] = float(trainer.fitness or 0.0)
        run_record["metrics"] = {k: round(float(v), 5) for k, v in (trainer.metrics or {}).items()}
        _write_ledger(settings.name, runs)

    def on_fit_epoch_end(trainer) -> None:
        # With --hours, Ultralytics fits the epoch count to the time after each
        # epoch (after the save above): record the count the schedule now heads for.
        run_record["epochs_planned"] = int(trainer.epochs)
        _write_ledger(settings.name, runs)

    def on_train_start(trainer) -> None:
        # Ultralytics leaves one core free on CPU (threads = cores - 1): on a
        # 2-core box that halves training speed. Training is the job here.
        import torch

        torch.set_num_threads(settings.torch_threads or os.cpu_count() or 1)

    project = (workdir / "runs").resolve()
    if resume:
        # Ultralytics resumes into the save_dir recorded in the checkpoint; put
        # the checkpoint there so its own bookkeeping finds it.
        model = YOLO(str(ckpt))
        model.add_callback("on_model_save", on_model_save)
        model.add_callback("on_fit_epoch_end", on_fit_epoch_end)
        model.add_callback("on_train_start", on_train_start)
        model.train(resume=str(ckpt), data=str(data_yaml), workers=settings.workers, device=settings.device)
    else:
        # From scratch: the architecture YAML. Fine-tuning: our own earlier
        # weights (never a downloaded checkpoint).
        model = YOLO(str(init_state["path"]) if init_state else settings.model_yaml)
        model.add_callback("on_model_save", on_model_save)
        model.add_callback("on_fit_epoch_end", on_fit_epoch_end)
        model.add_callback("on_train_start", on_train_start)
        # Fine-tuning names AdamW (what "auto" picks for runs this short) so that
        # lr0 is honoured; naming it also brings back Ultralytics' warm-up bias
        # rate of 0.1, which "auto" zeroes for Adam and which would shake the
        # trained biases, so it is zeroed here too.
        tuning = (
            {"pretrained": True, "optimizer": "AdamW", "warmup_bias_lr": 0.0} if init_state else {"pretrained": False}
        )
        if settings.lr0 is not None:
            tuning["lr0"] = settings.lr0
        if settings.hours is not None:
            tuning["time"] = settings.hours
        if settings.freeze:
            tuning["freeze"] = settings.freeze
        model.train(
            data=str(data_yaml),
            imgsz=settings.imgsz,
            epochs=settings.epochs,
            batch=settings.batch,
            device=settings.device,
            workers=settings.workers,
            seed=settings.seed,
            scale=settings.scale,
            close_mosaic=settings.close_mosaic,
            warmup_epochs=settings.warmup_epochs,
            cos_lr=settings.cos_lr,
            cache=settings.cache,
            fraction=settings.fraction,
            project=str(project),
            name=settings.name,
            exist_ok=True,
            amp=False,
            plots=False,
            patience=1000,
            **tuning,
            **settings.extra,
        )
    run_record["seconds"] = round(time.monotonic() - started, 1)
    run_record["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_ledger(settings.name, runs)
    save_dir = Path(model.trainer.save_dir)
    best = save_dir / "weights" / "best.pt"
    return best if best.exists() else save_dir / "weights" / "last.pt"


def export_onnx(weights: Path, out: Path, imgsz: int, workdir: Path) -> Path:
    """Export weights to ONNX (class names in the metadata) at ``out``.

    The batch, height and width axes are dynamic so that one session can score
    a batch of cameras, or a different input size, without a re-export.
    """
    _offline_environment(workdir)
    from ultralytics import YOLO

    exported = YOLO(str(weights)).export(format="onnx", imgsz=imgsz, dynamic=True, simplify=True, opset=17)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(exported), out)
    return out
