"""What the data model offers to a policy: the record kinds and their fields.

The store builds the catalogue from its tables and hands it to the loader, so that the policy
package never imports the store and a rule naming a field that does not exist is caught.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordCatalogue:
    """Record kinds (table names) and the field (column) names of each."""

    fields: Mapping[str, frozenset[str]]

    def has_record(self, record: str) -> bool:
        return record in self.fields

    def has_field(self, dotted: str) -> bool:
        record, _, field = dotted.partition(".")
        return field in self.fields.get(record, frozenset())
