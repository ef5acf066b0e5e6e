"""Request validation, one module per resolver family."""
