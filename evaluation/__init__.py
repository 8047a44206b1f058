"""Measurement: image-level mAP and clip-level event metrics for the whole pipeline."""
