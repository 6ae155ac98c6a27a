"""Audits that are not item rules, one module per group: each module lists its ``AUDITS``.

Item rules live in ``checks/sections`` (one module per subsection). A new kind of check is a
new module here (or a new audit in one), the artifact field it needs, and its examples.
"""

AUDIT_MODULES = ("feedback", "busgov", "noko", "personal", "crosscheck", "visibility", "documents")
