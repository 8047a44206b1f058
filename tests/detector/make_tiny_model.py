"""Build the tiny YOLO ONNX files the detector tests load.

The tests need a real Ultralytics export (same graph layout, same metadata
keys, same output layout as the production model) but not a useful one, so
this script builds a randomly initialised, very narrow yolo11-style network
from the model description below and exports it twice:

- ``data/tiny-yolo.onnx``: ``dynamic=True`` (batch, height and width are
  symbolic), exported at imgsz 128, like the production export;
- ``data/tiny-yolo-static.onnx``: fixed 1x3x96x128 input (a rectangular static
  export), for the static-shape path.

It also writes two hand-built, few-hundred-byte graphs (a constant output of
zeros) that the detector must refuse with ``ModelError``:

- ``data/no-names.onnx``: the right output layout, no ``names`` metadata;
- ``data/nms-layout.onnx``: ``names`` present, but an output of (1, 300, 6),
  the layout of an export with NMS built in.

The network keeps yolo11's layer graph (Conv, C3k2, SPPF, three Detect
levels at strides 8/16/32) at 1/16 of yolo11's width with at most 16 channels
a layer, one repeat per block, ``reg_max: 1`` (no DFL bins), and an identity in
place of C2PSA (its attention needs >= 128 channels); that keeps each file
well under 300 KB. The output layout is the production model's:
(batch, 4 + 3, anchors), boxes as cx, cy, w, h in input pixels, class scores
after the sigmoid.

Run it (needs the ``train`` extra; nothing is downloaded) from the repo root:

    YOLO_OFFLINE=1 YOLO_CONFIG_DIR=$(mktemp -d) .venv/bin/python tests/detector/make_tiny_model.py

The weights come from torch's default initialisation under a fixed seed; the
export date in the metadata is pinned so that a re-run changes as little as
possible, and the intermediate shape annotations are dropped (size only).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CLASS_NAMES = {0: "head", 1: "helmet", 2: "person"}

# yolo11.yaml with its own scale "t" ([depth, width, max_channels]) and layer
# 10 (C2PSA) swapped for an identity so that the head's indices still hold.
TINY_YAML = """\
nc: 3
reg_max: 1
scales:
  t: [0.33, 0.0625, 256]
scale: t
backbone:
  - [-1, 1, Conv, [64, 3, 2]]
  - [-1, 1, Conv, [128, 3, 2]]
  - [-1, 2, C3k2, [256, False, 0.25]]
  - [-1, 1, Conv, [256, 3, 2]]
  - [-1, 2, C3k2, [512, False, 0.25]]
  - [-1, 1, Conv, [512, 3, 2]]
  - [-1, 2, C3k2, [512, True]]
  - [-1, 1, Conv, [1024, 3, 2]]
  - [-1, 2, C3k2, [1024, True]]
  - [-1, 1, SPPF, [1024, 5]]
  - [-1, 1, nn.Identity, []]
head:
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 6], 1, Concat, [1]]
  - [-1, 2, C3k2, [512, False]]
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 4], 1, Concat, [1]]
  - [-1, 2, C3k2, [256, False]]
  - [-1, 1, Conv, [256, 3, 2]]
  - [[-1, 13], 1, Concat, [1]]
  - [-1, 2, C3k2, [512, False]]
  - [-1, 1, Conv, [512, 3, 2]]
  - [[-1, 10], 1, Concat, [1]]
  - [-1, 2, C3k2, [1024, True]]
  - [[16, 19, 22], 1, Detect, [nc]]
"""

PINNED_DATE = "2025-01-01T00:00:00+00:00"


def _export(workdir: Path, name: str, **export_args: object) -> Path:
    import onnx
    import torch
    from ultralytics import YOLO

    torch.manual_seed(0)
    yaml_path = workdir / f"{name}.yaml"
    yaml_path.write_text(TINY_YAML)
    model = YOLO(str(yaml_path), task="detect")
    model.model.names = dict(CLASS_NAMES)
    # Ultralytics writes the export into the working directory: keep it in the temp dir.
    os.chdir(workdir)
    exported = Path(model.export(format="onnx", opset=17, simplify=True, **export_args)).resolve()

    proto = onnx.load(str(exported))
    # The dynamic export annotates every intermediate tensor with a symbolic
    # shape (two thirds of the file); ONNX Runtime infers shapes itself.
    del proto.graph.value_info[:]
    for prop in proto.metadata_props:
        if prop.key == "date":
            prop.value = PINNED_DATE
    out = DATA_DIR / f"{name}.onnx"
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(out))
    return out


def _constant_graph(name: str, output_shape: tuple[int, ...], metadata: dict[str, str]) -> Path:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    zeros = numpy_helper.from_array(np.zeros(output_shape, np.float32), name="zeros")
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["output0"], value=zeros)],
        name,
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output_shape))],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    out = DATA_DIR / f"{name}.onnx"
    onnx.save(proto, str(out))
    return out


def main() -> None:
    os.environ["YOLO_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ.setdefault("YOLO_CONFIG_DIR", str(workdir / "ultralytics-settings"))
        outputs = [
            _export(workdir, "tiny-yolo", imgsz=128, dynamic=True),
            _export(workdir, "tiny-yolo-static", imgsz=(96, 128), dynamic=False, batch=1),
        ]
        shutil.rmtree(workdir, ignore_errors=True)
    outputs += [
        _constant_graph("no-names", (1, 7, 21), {"imgsz": "[32, 32]", "task": "detect"}),
        _constant_graph("nms-layout", (1, 300, 6), {"imgsz": "[32, 32]", "names": repr(CLASS_NAMES)}),
    ]
    for path in outputs:
        print(f"{path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
