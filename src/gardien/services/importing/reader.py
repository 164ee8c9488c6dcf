"""Read an import file. (Scaffold: being written.)"""

from __future__ import annotations

from pathlib import Path

from gardien.services.importing.document import ImportDocument


def read_document(path: Path) -> ImportDocument:
    raise NotImplementedError
