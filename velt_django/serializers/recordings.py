"""Request validation for ``recordings/*``: the annotation rules with recorder field names."""

from __future__ import annotations

from .annotations import RECORDINGS, parse_delete, parse_get, parse_save

__all__ = ["RECORDINGS", "parse_delete", "parse_get", "parse_save"]
