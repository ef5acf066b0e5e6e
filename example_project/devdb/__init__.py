"""Embedded SecantusDB development database for the example project."""
