"""The JSON Schema of import documents, generated from :class:`ImportDocument`.

    python -m gardien.services.importing.schema [PATH]     write it (default: print it)
    python -m gardien.services.importing.schema --check PATH

The committed ``docs/import.schema.json`` is this output; a unit test fails when they differ,
so the documented format cannot drift from the code that reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gardien.services.importing.document import ImportDocument

SCHEMA_ID = "https://gardien.example.org/schemas/import.schema.json"


def import_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an import document."""
    schema = ImportDocument.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "gardien import document",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def render() -> str:
    """The schema as the committed file holds it: sorted-free, indented, ending with a newline."""
    return json.dumps(import_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write, print or check the schema file; exit 1 when ``--check`` finds it out of date."""
    parser = argparse.ArgumentParser(prog="python -m gardien.services.importing.schema")
    parser.add_argument("path", nargs="?", type=Path, help="file to write (default: stdout)")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    options = parser.parse_args(argv)
    text = render()
    if options.path is None:
        sys.stdout.write(text)
        return 0
    if options.check:
        current = options.path.read_text(encoding="utf-8") if options.path.exists() else ""
        if current != text:
            sys.stderr.write(f"{options.path} is out of date: regenerate it with this command\n")
            return 1
        return 0
    options.path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
