"""The keyed lookup the tests use: under the development secret, as a test server runs."""

from __future__ import annotations

from gardien.domain.lookup import SubjectLookup
from gardien.settings import DEFAULT_SECRET

LOOKUP = SubjectLookup(DEFAULT_SECRET)
