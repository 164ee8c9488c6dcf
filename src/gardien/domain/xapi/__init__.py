"""xAPI, the Experience API: what gardien's Learning Record Store checks in a statement.

``validate`` checks statements (``validate_statement``, ``validate_batch``, ``is_voiding``),
``compare`` tells whether two statements are the same (``statements_equivalent``), ``formats``
holds the string formats (``parse_timestamp`` and the IRI, UUID, language tag and duration
patterns). See ``docs/xapi-validation.md``. Plain Python: no I/O.
"""

from gardien.domain.xapi.compare import statements_equivalent
from gardien.domain.xapi.formats import parse_timestamp
from gardien.domain.xapi.validate import VOIDED, is_voiding, validate_batch, validate_statement

__all__ = [
    "VOIDED",
    "is_voiding",
    "parse_timestamp",
    "statements_equivalent",
    "validate_batch",
    "validate_statement",
]
