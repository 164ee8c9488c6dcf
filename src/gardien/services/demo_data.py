"""Demo data. (Scaffold: being written.)"""

from __future__ import annotations

from datetime import date

from gardien.services.importing.document import ImportDocument


def build_demo_document(*, learners: int, seed: int, today: date) -> ImportDocument:
    raise NotImplementedError
