"""The detector's one user-facing error."""


class ModelError(Exception):
    """The model file is missing, unreadable, not ONNX, or not a supported YOLO detection export.

    The message is one line and names the file, fit to show a user as is.
    """
