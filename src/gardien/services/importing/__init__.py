"""``gardien import FILE``: load a JSON document of records, idempotent and all-or-nothing."""
