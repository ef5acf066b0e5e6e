"""A test-only user model with a column that must never reach a response."""
