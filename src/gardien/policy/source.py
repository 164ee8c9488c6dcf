"""Read a YAML document and remember the line of every key, so errors can point at it.

Only the safe subset of YAML is read: no Python tags, no merge keys, a single document. Every
failure, from a tab in the indentation to a date that does not exist, becomes one
:class:`~gardien.errors.PolicyError` naming the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from gardien.errors import PolicyError

Path = tuple[str | int, ...]

# Aliases let a small file expand into a huge tree ("billion laughs"); a policy is a few
# hundred values, so anything past this is refused rather than expanded.
MAX_VALUES = 50_000
# PyYAML composes nested collections by recursion: "[[[[...]]]]" a few thousand deep would end
# in a RecursionError, not a message. The shipped policy nests 6 levels; past this, refused.
MAX_DEPTH = 20
# The shipped policy is some 17 kB; a file a hundred times larger is a mistake (or an attack).
MAX_CHARACTERS = 2_000_000

MERGE_TAG = "tag:yaml.org,2002:merge"
FLOW_OPENERS = {"while parsing a flow sequence": "[", "while parsing a flow mapping": "{"}


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
        line = self.line_of(path)
        return PolicyError(describe_path(path, problem), source=self.source, line=line)


def describe_path(path: Path, problem: str) -> str:
    """``problem`` prefixed with the dotted ``path`` it is about (when there is one)."""
    where = ".".join(str(part) for part in path)
    return f"{where}: {problem}" if where else problem


def read_yaml(text: str, *, source: str) -> SourceDocument:
    """Parse ``text`` (YAML, safe subset) into plain Python, keeping the line of every key.

    Refuses a text longer than :data:`MAX_CHARACTERS`, and values nested deeper than
    :data:`MAX_DEPTH` (by the text or through aliases), with a :class:`PolicyError`.
    """
    if len(text) > MAX_CHARACTERS:
        raise PolicyError(
            f"the policy is larger than {MAX_CHARACTERS:,} characters: not a policy file",
            source=source,
        )
    try:
        root = yaml.compose(text, Loader=_DepthBoundLoader)
    except _TooDeep as exc:
        raise PolicyError(_TOO_DEEP, source=source, line=_line(exc.mark)) from None
    except yaml.MarkedYAMLError as exc:
        line, problem = _runaway_quote(text, exc) or _explain(exc)
        raise PolicyError(f"malformed YAML: {problem}", source=source, line=line) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise PolicyError(
            f"malformed YAML: the character U+{code:04X} is not allowed in YAML text",
            source=source,
            line=line,
        ) from None
    except yaml.YAMLError as exc:  # defensive: PyYAML's errors are marked or reader errors
        raise PolicyError(f"malformed YAML: {exc}", source=source) from None
    if root is None:
        raise PolicyError("the policy file is empty (no YAML content)", source=source, line=1)
    document = SourceDocument(data=None, source=source)
    converter = _Converter(document)
    document.data = converter.convert(root, ())
    return document


_TOO_DEEP = f"values nested more than {MAX_DEPTH} levels deep: a policy is a few levels deep"


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark | None) -> None:
        self.mark = mark


class _DepthBoundLoader(yaml.SafeLoader):
    """The safe loader, stopping before its composer recurses past :data:`MAX_DEPTH`.

    PyYAML's scanner and parser keep their own stacks; only the composer recurses, once a level.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise _TooDeep(event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _explain(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The line and a plain-words reason for a PyYAML syntax error."""
    problem = (exc.problem or exc.context or "malformed YAML").strip()
    mark = exc.problem_mark or exc.context_mark
    if "'\\t'" in problem:
        return _line(mark), "a tab character: YAML is indented with spaces only"
    if problem.startswith("mapping values are not allowed"):
        return _line(mark), (
            "a ':' where none may be (check the indentation of this line, or quote a value"
            " that contains ': ')"
        )
    if problem.startswith("expected <block end>"):
        return _line(mark), (
            "inconsistent indentation (this line is not aligned with the keys or items above it)"
        )
    if "end of stream" in problem and exc.context_mark is not None:
        # The parser only notices at the end of the file; the cause is where it started.
        what = (exc.context or "").removeprefix("while scanning ").replace("scalar", "value")
        what = what.strip() or "a value"
        return _line(exc.context_mark), f"{what} opened on this line is never closed"
    if exc.context_mark is not None and exc.context in FLOW_OPENERS:
        # A bracket left open: the parser fails on a later line, the mistake is where it opened.
        opener = FLOW_OPENERS[exc.context]
        return _line(
            exc.context_mark
        ), f"the {opener!r} opened on this line is not closed ({problem})"
    if exc.context == "expected a single document in the stream":
        return _line(mark), "a policy file holds one YAML document only (remove the '---')"
    if exc.context and exc.problem:
        return _line(mark), f"{exc.context.strip()}: {problem}"
    return _line(mark), problem


def _runaway_quote(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, str] | None:
    """A quoted value that swallowed the lines up to the error: a closing quote is missing.

    PyYAML only stumbles where the runaway value ends, often far below the real mistake.
    """
    if exc.problem_mark is None:
        return None
    error_line = exc.problem_mark.line
    runaway: yaml.ScalarToken | None = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.line > error_line:
                break
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in {'"', "'"}
                and token.start_mark.line < token.end_mark.line == error_line
            ):
                runaway = token
    except yaml.YAMLError:
        pass
    if runaway is None:
        return None
    return runaway.start_mark.line + 1, (
        f"the quoted value opened on this line runs on to line {error_line + 1}:"
        " a closing quote is missing"
    )


def _line(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark is not None else None


class _Converter:
    """Turns the composed node tree into dicts, lists and scalars, noting each key's line."""

    def __init__(self, document: SourceDocument) -> None:
        self.document = document
        self.constructor = yaml.SafeLoader("")
        self.count = 0

    def convert(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self._error(node, f"the policy expands to more than {MAX_VALUES} values")
        if len(path) >= MAX_DEPTH:  # aliases of aliases nest deeper than the text itself
            raise self._error(node, _TOO_DEEP)
        self.document.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                raise self._error(key_node, "YAML merge keys ('<<') are not supported")
            key = self._scalar(key_node, path)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise self._error(
                    key_node,
                    describe_path(path, f"keys must be plain words, not {key!r} (quote it)"),
                )
            if key in result:
                raise self._error(key_node, describe_path((*path, key), f"duplicate key {key!r}"))
            self.document.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.convert(value_node, (*path, key))
        return result

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            raise self._error(node, describe_path(path, "a key must be a plain word"))
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise self._error(node, describe_path(path, f"unsupported YAML: {problem}")) from None
        except ValueError as exc:
            # e.g. 2024-13-45 looks like a YAML date but is none.
            raise self._error(
                node, describe_path(path, f"{node.value!r} is not a valid value ({exc})")
            ) from None

    def _error(self, node: yaml.Node, problem: str) -> PolicyError:
        return PolicyError(problem, source=self.document.source, line=node.start_mark.line + 1)
