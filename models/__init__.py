"""Trained model files, their model cards, and the training/export code."""
