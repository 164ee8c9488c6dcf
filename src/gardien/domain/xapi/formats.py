"""The string formats of xAPI 1.0.3 (Data 4.3 to 4.6): IRIs, UUIDs, language tags, durations, times.

Each check is one precompiled regular expression run with ``fullmatch`` (so a trailing newline
never slips through ``$``), written with explicit ASCII classes: ``\\d`` or a case-insensitive
``[a-z]`` would also match other Unicode digits and letters. They are best-effort, as the
specification allows (Data 2.2.s4.b6 and b7); ``docs/xapi-validation.md`` lists what each one
leaves out.

Plain Python: no I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from gardien.errors import XapiValidationError

__all__ = [
    "EARLIEST",
    "LATEST",
    "is_duration",
    "is_iri",
    "is_language_tag",
    "is_mbox",
    "is_media_type",
    "is_sha1",
    "is_sha2",
    "is_uuid",
    "is_version",
    "parse_timestamp",
]

# An absolute IRI (RFC 3987): a scheme, a colon, then at least one character that may appear in
# an IRI. Spaces, controls (C0, DEL, C1), the delimiters RFC 3987 excludes and a "%" that does
# not start a percent-encoded octet are refused; the authority, path and query are not parsed.
# Possessive quantifiers (Python 3.11) keep it linear: no backtracking into a run.
_IRI = re.compile(
    r'[A-Za-z][A-Za-z0-9+.\-]*+:(?:[^\x00-\x20\x7f-\x9f<>"{}|\\^`%]++|%[0-9A-Fa-f]{2})++'
)

# "mailto:" and an address with one "@", a local part and a domain without the characters that
# cannot appear there unquoted. No quoted local parts, no "?subject=" headers.
_MBOX = re.compile(r'mailto:[^\x00-\x20\x7f@<>"(),;:\\\[\]]+@[^\x00-\x20\x7f@<>"(),;:\\/?#\[\]]+')

_SHA1 = re.compile(r"[0-9A-Fa-f]{40}")
# SHA-224, SHA-256, SHA-384 or SHA-512, in hexadecimal.
_SHA2 = re.compile(r"[0-9A-Fa-f]{56}(?:[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{32}(?:[0-9A-Fa-f]{32})?)?)?")

# The standard string form, either case. The RFC 4122 variant is not checked: the
# specification's own first example (Data 2.4.s2) uses 12345678-1234-5678-1234-567812345678.
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")

# RFC 5646 section 2.1, syntax only (no registry): language, script, region, variants,
# extensions, private use, and the irregular grandfathered tags (the regular ones fit the syntax).
_LANGUAGE_TAG = re.compile(
    r"(?:"
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language, extlangs
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"  # variants
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"  # extensions
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"  # private use
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+"  # private use alone
    r"|(?i:en-GB-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)"
    r"|sgn-(?:BE-FR|BE-NL|CH-DE))"
    r")",
    re.ASCII,
)

# ISO 8601:2004 4.4.3.2, "PnYnMnDTnHnMnS" or "PnW": at least one component, a "T" only before
# time components, and a decimal fraction (point or comma) on the last component only.
_DURATION = re.compile(
    r"P(?:"
    r"[0-9]+(?:[.,][0-9]+)?W"
    r"|(?=[0-9T])"
    r"(?:[0-9]+(?:[.,][0-9]+(?=Y\Z))?Y)?"
    r"(?:[0-9]+(?:[.,][0-9]+(?=M\Z))?M)?"
    r"(?:[0-9]+(?:[.,][0-9]+(?=D\Z))?D)?"
    r"(?:T(?=[0-9])"
    r"(?:[0-9]+(?:[.,][0-9]+(?=H\Z))?H)?"
    r"(?:[0-9]+(?:[.,][0-9]+(?=M\Z))?M)?"
    r"(?:[0-9]+(?:[.,][0-9]+)?S)?"
    r")?"
    r")"
)

# Tags already seen valid: a set lookup instead of the regular expression.
_KNOWN_TAGS: set[str] = set()

# A statement's "version": 1.0.x (and "1.0", which the version header treats as 1.0.0), or the
# 2.0.x of IEEE 9274.1.1.
_VERSION = re.compile(r"1\.0(?:\.[0-9]+)?|2\.0\.[0-9]+")

# "type/subtype" and optional parameters, not parsed further.
_MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*(?:;.*)?"
)

# Calendar date and time of day with seconds, extended format ("T", "t" or RFC 3339's space
# between them) or basic format, an optional fraction of a second and an optional offset.
_OFFSET = r"(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
_TIMESTAMP_EXTENDED = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?"
    + _OFFSET
)
_TIMESTAMP_BASIC = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})(?:[.,]([0-9]+))?"
    r"(Z|[+-][0-9]{2}(?:[0-9]{2})?)?"
)

# The tests: a match (true) or None. Bound methods of the patterns, for speed.
is_iri = _IRI.fullmatch
is_mbox = _MBOX.fullmatch
is_sha1 = _SHA1.fullmatch
is_sha2 = _SHA2.fullmatch
is_uuid = _UUID.fullmatch
is_duration = _DURATION.fullmatch
is_version = _VERSION.fullmatch
is_media_type = _MEDIA_TYPE.fullmatch


def is_language_tag(tag: str) -> bool:
    """Whether ``tag`` has the syntax of an RFC 5646 language tag (the registry is not read)."""
    if tag in _KNOWN_TAGS:
        return True
    if _LANGUAGE_TAG.fullmatch(tag) is None:
        return False
    if len(_KNOWN_TAGS) < 512:  # a bound: the same few tags come again and again
        _KNOWN_TAGS.add(tag)
    return True


# The instants a statement may carry: a day inside the years Python (and so the store) can
# represent, so that the instant can be written in any time zone (offsets reach 14 hours)
# without leaving them: 9999-12-31T23:00:00Z is already in year 10000 in Paris.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
OUT_OF_RANGE = "is out of range: an instant must fall between 0001-01-02 and 9999-12-30 (UTC)"


def parse_timestamp(text: str, *, prop: str = "timestamp") -> datetime:
    """The instant an ISO 8601 timestamp names, as an aware datetime in UTC.

    Accepted: a calendar date and a time with seconds, in the extended format
    (``2024-03-05T14:30:00.250+01:00``; ``t`` or a space instead of ``T`` as RFC 3339 allows) or
    the basic one (``20240305T133000Z``), the offset as ``Z``, ``+hh:mm``, ``+hhmm`` or ``+hh``.
    Digits beyond the microsecond are dropped (xAPI keeps at least milliseconds, Data 4.5.s1.b7).

    A timestamp without an offset is read as UTC: xAPI 1.0.3 only says a timestamp SHOULD*
    include one (Data 4.5.s1.b4), so it cannot be refused. An offset of ``-00:00`` (RFC 3339's
    "local offset unknown") is refused, as xAPI 2.0's conformance tests require. Reduced
    precision (no seconds), week and ordinal dates, hour 24 and leap seconds are refused, and
    so is an instant outside ``EARLIEST`` .. ``LATEST`` (UTC), whatever its offset.

    Raises ``XapiValidationError(prop, ...)``: ``prop`` names the property in the message.
    """
    found = _instant(text)
    if isinstance(found, str):
        raise XapiValidationError(prop, found)
    return found


@lru_cache(maxsize=4096)
def _instant(text: str) -> datetime | str:
    """The instant ``text`` names, or the problem with it. Remembered: ingest reads each
    statement's timestamp twice (validating it, then making its row), and a datetime is
    immutable, so the second reading costs a look-up."""
    try:
        return _parsed(text)
    except XapiValidationError as error:
        return error.problem


def _parsed(text: str, prop: str = "") -> datetime:
    match = _TIMESTAMP_EXTENDED.fullmatch(text) or _TIMESTAMP_BASIC.fullmatch(text)
    if match is None:
        raise XapiValidationError(
            prop, "must be an ISO 8601 date and time such as 2024-03-05T14:30:00.250Z"
        )
    offset = match[8]
    if offset is not None and len(offset) > 1:
        if offset[0] == "-" and not offset.strip("-0:"):
            raise XapiValidationError(prop, "must not use the offset -00:00 (local offset unknown)")
        if len(offset) > 3 and offset[-2:] > "59":  # fromisoformat would take +01:75 as +02:15
            raise XapiValidationError(prop, "has an offset with more than 59 minutes")
    try:
        # The shape is checked: what is left for the C parser is the calendar and the clock.
        instant = datetime.fromisoformat(text)
    except ValueError:
        instant = _from_parts(match, prop)  # lower-case "t" or "z", or no such date
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    elif instant.tzinfo is not UTC:
        try:
            instant = instant.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+14:00 is in year 0 in UTC
            raise XapiValidationError(prop, OUT_OF_RANGE) from None
    if not EARLIEST <= instant <= LATEST:
        raise XapiValidationError(prop, OUT_OF_RANGE)
    return instant


def _from_parts(match: re.Match[str], prop: str) -> datetime:
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        zone = UTC
        if offset is not None and offset not in "Zz":
            hours, minutes = int(offset[1:3]), int(offset[-2:]) if len(offset) > 3 else 0
            if minutes > 59:
                raise ValueError(offset)
            delta = timedelta(hours=hours, minutes=minutes)
            zone = timezone(-delta if offset[0] == "-" else delta)
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
            tzinfo=zone,
        )
    except ValueError:
        raise XapiValidationError(prop, "is not a valid date and time") from None
