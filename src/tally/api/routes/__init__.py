"""One router module per stage; `api.app` mounts them all under /api/v1."""
