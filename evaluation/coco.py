"""COCO-style detection metrics (AP, precision, recall) through ``faster-coco-eval``.

The matching and the average precision are the COCO reference's, computed by
faster-coco-eval (a drop-in, C++ reimplementation of pycocotools):

- a prediction is a true positive at IoU threshold t when it is the highest
  scoring unmatched prediction of its class that overlaps a ground-truth box of
  that class by IoU >= t (greedy, in descending score order, per image);
- AP is the area under the precision envelope sampled at 101 recall points
  (0, 0.01, ..., 1), precision counting as 0 beyond the highest recall reached;
- mAP50 uses t = 0.5; mAP50-95 averages t = 0.50, 0.55, ..., 0.95;
- at most ``max_det`` predictions per image count (default 300, as Ultralytics'
  ``val``); no area ranges, every box counts.

Precision and recall are single operating-point figures, defined as Ultralytics
defines them: at IoU 0.5, at the one confidence threshold (shared by all classes)
that maximises the mean over classes of F1 = 2PR / (P + R). Ties go to the lowest
such threshold. Unlike Ultralytics, the F1 curve is not smoothed and thresholds
are the predictions' own scores rather than a 1000-point grid, so the figures are
exact for the predictions given.

A class with no ground-truth box in the evaluated images has no AP, precision or
recall (``None``) and is left out of the ``all`` means; a class with ground truth
but no predictions scores 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from faster_coco_eval import COCO, COCOeval_faster

from sitewatch.evaluation.defaults import DEFAULT_MAX_DET
from sitewatch.evaluation.yolo_dataset import GroundTruth
from sitewatch.types import Detections

ALL = "all"
IOU_THRESHOLDS = np.round(np.linspace(0.5, 0.95, 10), 2)

PerClass = dict[str, float | None]


@dataclass(frozen=True)
class DetectionMetrics:
    """Per-class and overall figures for one model on one set of images.

    Each ``PerClass`` dict maps every class name, then ``"all"`` (mean over the
    classes that have ground truth), to a value in [0, 1] or ``None``.
    ``confidence`` is the threshold at which precision and recall were taken.
    """

    class_names: tuple[str, ...]
    images: int
    instances: dict[str, int]
    map50: PerClass
    map50_95: PerClass
    precision: PerClass
    recall: PerClass
    confidence: float | None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of ``sitewatch eval images --json`` (less the model name)."""
        return {
            "images": self.images,
            "map50": dict(self.map50),
            "map50_95": dict(self.map50_95),
            "precision": dict(self.precision),
            "recall": dict(self.recall),
        }


def _coco_ground_truth(ground_truth: Sequence[GroundTruth], class_names: Sequence[str]) -> dict:
    images = [{"id": i + 1, "width": gt.width, "height": gt.height} for i, gt in enumerate(ground_truth)]
    categories = [{"id": k + 1, "name": name} for k, name in enumerate(class_names)]
    rows = _rows(
        [gt.xyxy for gt in ground_truth],
        [np.ones(len(gt), np.float32) for gt in ground_truth],
        [gt.class_id for gt in ground_truth],
    )
    annotations = [
        {
            "id": n + 1,
            "image_id": int(image_id),
            "category_id": int(category_id),
            "bbox": [x, y, w, h],
            "area": w * h,
            "iscrowd": 0,
        }
        for n, (image_id, x, y, w, h, _, category_id) in enumerate(rows.tolist())
    ]
    return {"images": images, "categories": categories, "annotations": annotations}


def _rows(
    xyxy: Sequence[np.ndarray], score: Sequence[np.ndarray], class_id: Sequence[np.ndarray]
) -> np.ndarray:
    """Stack per-image boxes into COCO rows: [image_id, x, y, w, h, score, category_id]."""
    counts = [len(b) for b in xyxy]
    if not sum(counts):
        return np.zeros((0, 7), np.float64)
    boxes = np.concatenate(xyxy).astype(np.float64)
    image_id = np.repeat(np.arange(1, len(counts) + 1), counts)
    return np.column_stack([
        image_id,
        boxes[:, 0],
        boxes[:, 1],
        boxes[:, 2] - boxes[:, 0],
        boxes[:, 3] - boxes[:, 1],
        np.concatenate(score).astype(np.float64),
        np.concatenate(class_id).astype(np.int64) + 1,
    ])


def _top_per_image(pred: Detections, max_det: int) -> Detections:
    if len(pred) <= max_det:
        return pred
    return pred[np.argsort(-pred.confidence, kind="stable")[:max_det]]


def _run_cocoeval(coco_gt: COCO, rows: np.ndarray, iou_thresholds: np.ndarray, max_det: int, matches: bool):
    detections = [
        {"image_id": int(i), "bbox": [x, y, w, h], "score": s, "category_id": int(c)}
        for i, x, y, w, h, s, c in rows.tolist()
    ]
    coco_dt = coco_gt.loadRes(detections)
    evaluator = COCOeval_faster(coco_gt, coco_dt, "bbox", extra_calc=matches, print_function=_quiet)
    evaluator.params.iouThrs = np.asarray(iou_thresholds, dtype=np.float64)
    evaluator.params.maxDets = [max_det]
    evaluator.evaluate()
    evaluator.accumulate()
    return evaluator.eval


def _quiet(*_args: object) -> None:
    pass


def _average_precision(precision: np.ndarray) -> np.ndarray:
    """AP per (IoU threshold, class) from COCO's precision array (T, R, K, A, M); NaN where no GT."""
    curves = precision[:, :, :, 0, -1]  # area "all", the only max-detections setting
    valid = curves > -1
    total = np.where(valid, curves, 0.0).sum(axis=1)
    count = valid.sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _best_f1_operating_point(
    scores: np.ndarray, class_id: np.ndarray, is_tp: np.ndarray, gt_per_class: np.ndarray
) -> tuple[float | None, np.ndarray, np.ndarray]:
    """(threshold, precision (K,), recall (K,)) at the threshold that maximises mean F1.

    Only classes with ground truth take part; the others get NaN.
    """
    k = len(gt_per_class)
    has_gt = gt_per_class > 0
    precision = np.full(k, np.nan)
    recall = np.full(k, np.nan)
    if not len(scores):
        precision[has_gt] = 0.0
        recall[has_gt] = 0.0
        return None, precision, recall
    thresholds = np.unique(scores)  # ascending: argmax then picks the lowest of tied thresholds
    p_grid = np.zeros((k, len(thresholds)))
    r_grid = np.zeros((k, len(thresholds)))
    for c in np.flatnonzero(has_gt):  # a handful of classes; the thresholds are vectorised
        mine = class_id == c
        order = np.argsort(-scores[mine], kind="stable")
        desc = scores[mine][order]
        cum_tp = np.concatenate([[0], np.cumsum(is_tp[mine][order])])
        kept = np.searchsorted(-desc, -thresholds, side="right")  # predictions with score >= threshold
        tp = cum_tp[kept]
        p_grid[c] = np.where(kept > 0, tp / np.maximum(kept, 1), 0.0)
        r_grid[c] = tp / gt_per_class[c]
    f1 = 2 * p_grid * r_grid / np.maximum(p_grid + r_grid, 1e-12)
    best = int(np.argmax(f1[has_gt].mean(axis=0)))
    precision[has_gt] = p_grid[has_gt, best]
    recall[has_gt] = r_grid[has_gt, best]
    return float(thresholds[best]), precision, recall


def _per_class(values: np.ndarray, class_names: Sequence[str]) -> PerClass:
    out: PerClass = {name: (None if np.isnan(v) else float(v)) for name, v in zip(class_names, values)}
    present = values[~np.isnan(values)]
    out[ALL] = float(present.mean()) if len(present) else None
    return out


def evaluate_detections(
    ground_truth: Sequence[GroundTruth],
    predictions: Sequence[Detections],
    class_names: Sequence[str],
    max_det: int = DEFAULT_MAX_DET,
) -> DetectionMetrics:
    """COCO-style metrics of ``predictions`` against ``ground_truth``, image by image.

    ``predictions[i]`` belongs to ``ground_truth[i]``; its class ids index
    ``class_names``, as the ground truth's do.
    """
    class_names = tuple(class_names)
    if len(ground_truth) != len(predictions):
        raise ValueError(f"{len(ground_truth)} ground-truth images but {len(predictions)} prediction sets")
    if max_det < 1:
        raise ValueError(f"max_det must be >= 1, got {max_det}")
    for pred in predictions:
        if pred.class_names != class_names:
            raise ValueError(f"predictions name classes {pred.class_names}, expected {class_names}")
    for gt in ground_truth:
        if len(gt) and (gt.class_id.min() < 0 or gt.class_id.max() >= len(class_names)):
            raise ValueError(f"ground-truth class ids must index the {len(class_names)} class names")

    gt_classes = np.concatenate([np.zeros(0, np.int32), *(gt.class_id for gt in ground_truth)])
    gt_per_class = np.bincount(gt_classes, minlength=len(class_names))
    instances = dict(zip(class_names, gt_per_class.tolist()))
    nothing = np.full(len(class_names), np.nan)
    if not gt_per_class.sum():
        # No ground truth at all: there is nothing to recall, so no figure means anything.
        none = _per_class(nothing, class_names)
        return DetectionMetrics(
            class_names, len(ground_truth), instances, none, dict(none), dict(none), dict(none), None
        )

    kept = [_top_per_image(pred, max_det) for pred in predictions]
    rows = _rows([p.xyxy for p in kept], [p.confidence for p in kept], [p.class_id for p in kept])
    coco_gt = COCO(_coco_ground_truth(ground_truth, class_names))
    coco_gt.print_function = _quiet

    ap = _average_precision(_run_cocoeval(coco_gt, rows, IOU_THRESHOLDS, max_det, matches=False)["precision"])
    # A second pass at IoU 0.5 alone: its match list says which predictions are
    # true positives there (the 0.5:0.95 pass reports matches from every threshold).
    matched = _run_cocoeval(coco_gt, rows, np.array([0.5]), max_det, matches=True)["matched"]
    # loadRes numbers predictions 1..N in the order given, i.e. row n has id n + 1.
    tp_ids = np.fromiter((int(key.split("_", 1)[0]) for key in matched), dtype=np.int64, count=len(matched))
    is_tp = np.zeros(len(rows), dtype=bool)
    is_tp[tp_ids - 1] = True
    threshold, precision, recall = _best_f1_operating_point(
        rows[:, 5], rows[:, 6].astype(np.int64) - 1, is_tp, gt_per_class
    )
    # Where a class has ground truth its AP is a number even if nothing was predicted.
    map50 = np.where(gt_per_class > 0, np.nan_to_num(ap[0]), np.nan)
    map50_95 = np.where(gt_per_class > 0, np.nan_to_num(ap.mean(axis=0)), np.nan)
    return DetectionMetrics(
        class_names=class_names,
        images=len(ground_truth),
        instances=instances,
        map50=_per_class(map50, class_names),
        map50_95=_per_class(map50_95, class_names),
        precision=_per_class(precision, class_names),
        recall=_per_class(recall, class_names),
        confidence=threshold,
    )
