"""Object detection: ONNX Runtime inference for Ultralytics-exported YOLO models."""
