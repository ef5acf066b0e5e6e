"""Request validation for ``reactions/*``: the annotation rules with reaction field names."""

from __future__ import annotations

from .annotations import REACTIONS, parse_delete, parse_get, parse_save

__all__ = ["REACTIONS", "parse_delete", "parse_get", "parse_save"]
