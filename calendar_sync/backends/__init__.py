"""Calendar back-ends, one module each, loaded by name (`load_backend("email", settings)`)."""
