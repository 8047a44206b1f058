"""Frame sources: recorded video files and live RTSP cameras behind one interface."""
