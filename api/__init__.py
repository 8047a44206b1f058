"""HTTP API (FastAPI) over the event store."""
