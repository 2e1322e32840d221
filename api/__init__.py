"""FastAPI service and web map."""
