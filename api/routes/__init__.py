"""HTTP routes, one module per resource (as FastAPI's full-stack template keeps them)."""
