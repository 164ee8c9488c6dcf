"""Read a YAML document and remember the line of every key, so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from gardien.errors import PolicyError

Path = tuple[str | int, ...]


@dataclass
class SourceDocument:
    """A parsed YAML document with the line (1-based) where each path starts."""

    data: Any
    source: str
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def error(self, path: Path, problem: str) -> PolicyError:
        """A :class:`PolicyError` for ``path``, naming this document and the line."""
        where = ".".join(str(part) for part in path)
        message = f"{where}: {problem}" if where else problem
        return PolicyError(message, source=self.source, line=self.line_of(path))


def read_yaml(text: str, *, source: str) -> SourceDocument:
    """Parse ``text`` (YAML, safe subset) into plain Python, keeping the line of every key."""
    if not text.strip():
        raise PolicyError("the policy file is empty", source=source, line=1)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise PolicyError(f"malformed YAML: {problem}", source=source, line=line) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"malformed YAML: {exc}", source=source) from exc
    document = SourceDocument(data=None, source=source)
    constructor = yaml.SafeLoader("")
    document.data = _convert(root, (), document, constructor)
    return document


def _convert(
    node: yaml.Node | None, path: Path, document: SourceDocument, constructor: yaml.SafeLoader
) -> Any:
    if node is None:
        return None
    document.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise document.error(path, f"keys must be plain words, not {key!r}")
            if key in result:
                raise PolicyError(
                    f"{'.'.join(map(str, (*path, key)))}: duplicate key {key!r}",
                    source=document.source,
                    line=key_node.start_mark.line + 1,
                )
            document.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, (*path, key), document, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*path, index), document, constructor)
            for index, item in enumerate(node.value)
        ]
    return constructor.construct_object(node, deep=True)
