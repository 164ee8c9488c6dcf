"""Natural keys of the import sections, and messages that name a record by them.

Every message about a record names its section, its index and, where known, its natural key,
so that a person can find it in the file: ``contracts[3] (reference "C-2024-017")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gardien.errors import ImportDocumentError

# The fields that identify a record of each section (nested items are named by their parent).
SECTION_KEYS: Mapping[str, tuple[str, ...]] = {
    "learning_paths": ("code",),
    "learners": ("email",),
    "sponsors": ("ref",),
    "contracts": ("reference",),
    "enrolments": ("learner", "path"),
    "statements": ("id",),
    "invoices": ("number",),
    "cpf_dossiers": ("edof_number",),
    "opco_dossiers": ("agreement_reference",),
    "newsletter_subscriptions": ("email",),
    "contact_messages": ("email", "received_at"),
}


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def describe_key(section: str, record: Any) -> str:
    """``reference "C-1"`` for a record (a model or a parsed JSON object); "" when unknown."""
    parts = []
    for field in SECTION_KEYS.get(section, ()):
        value = record.get(field) if isinstance(record, dict) else getattr(record, field, None)
        if isinstance(value, str | int | float | datetime) and not isinstance(value, bool):
            parts.append(f'{field} "{_text(value)}"')
    return ", ".join(parts)


def where(section: str, index: int, record: Any) -> str:
    """``contracts[3] (reference "C-1")``: how a message names a record."""
    key = describe_key(section, record)
    return f"{section}[{index}] ({key})" if key else f"{section}[{index}]"


def record_error(
    section: str, index: int, record: Any, field: str, problem: str
) -> ImportDocumentError:
    """An :class:`ImportDocumentError` about one field of one record."""
    return ImportDocumentError(f"{where(section, index, record)}: {field}: {problem}")
