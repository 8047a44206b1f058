"""Default settings of image-level evaluation, kept apart so the CLI can show them without heavy imports.

They follow Ultralytics' ``val``: AP integrates over every confidence
threshold, so nearly every candidate box is kept (a high cut-off would truncate
the precision-recall curve), duplicates are merged at NMS IoU 0.7, and at most
300 predictions per image count.
"""

EVAL_CONFIDENCE = 0.001
EVAL_NMS_IOU = 0.7
DEFAULT_MAX_DET = 300
