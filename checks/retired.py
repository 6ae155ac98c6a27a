"""Audit codes that were issued once and are never issued again (ruff: codes are permanent).

When an audit is removed, its code moves here with the reason and the version it left in.
The catalogue refuses to load an audit with a retired code.
"""

RETIRED: dict[str, str] = {}
