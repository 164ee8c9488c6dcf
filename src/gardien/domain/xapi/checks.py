"""The building blocks of the statement checks: the plumbing, scalars, language maps, extensions.

Every check takes a JSON value and raises ``XapiValidationError`` with the property *relative to
that value* (``""`` for the value itself); whoever called it puts its own key in front
(``under``), so a path is only built when something fails. ``properties`` runs the checks of an
object's table over the properties it has, refusing those the table lacks. Internal to
``gardien.domain.xapi``: the API is in ``validate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from math import isfinite
from typing import Any, NoReturn

from gardien.domain.xapi.formats import (
    is_duration,
    is_iri,
    is_language_tag,
    is_mbox,
    is_media_type,
    is_sha1,
    is_sha2,
    is_uuid,
    is_version,
    parse_timestamp,
)
from gardien.errors import XapiValidationError

Check = Callable[[Any], None]


def fail(prop: str, problem: str) -> NoReturn:
    """Raise the error: ``prop`` relative to the value being checked, ``""`` for itself."""
    raise XapiValidationError(prop, problem)


def under(prefix: str, err: XapiValidationError) -> XapiValidationError:
    """The same error, its property seen from the object that holds ``prefix``."""
    prop = err.prop
    if not prop:
        joined = prefix
    elif prop[0] == "[":
        joined = prefix + prop
    else:
        joined = f"{prefix}.{prop}"
    return XapiValidationError(joined, err.problem)


def kind_of(value: object) -> str:
    """What a JSON value is, for messages (the value itself is never repeated)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def properties(data: dict[str, Any], checks: Mapping[str, Check], unknown: str) -> None:
    """Run each property's check; a property without one is refused with ``unknown``."""
    for key, value in data.items():
        check = checks.get(key)
        if check is None:
            fail(str(key), unknown)
        try:
            check(value)
        except XapiValidationError as err:
            raise under(key, err) from None


def as_object(value: object, what: str) -> dict[str, Any]:
    """``value`` if it is a JSON object; ``what`` names what it should be in the message."""
    if not isinstance(value, dict):
        fail("", f"must be {what} (a JSON object), not {kind_of(value)}")
    return value


def filled(value: object, what: str) -> dict[str, Any]:
    """``value`` if it is a JSON object with at least one property."""
    data = as_object(value, what)
    if not data:
        # Conformance requirement XAPI-00001: no empty objects, except extensions.
        fail("", "must not be an empty object")
    return data


def wrong_type(value: object, expected: str) -> NoReturn:
    """Refuse an ``objectType`` that is not ``expected`` (given as read, or None if absent)."""
    if value is None:
        fail("objectType", f"is required here, and must be {expected}")
    if isinstance(value, str):
        fail("objectType", f"must be {expected}")
    fail("objectType", f"must be the string {expected}, not {kind_of(value)}")


def each(items: list[Any], check: Check) -> None:
    """Run ``check`` on every item; a failure is named by the item's index, ``[2]``."""
    for index, item in enumerate(items):
        try:
            check(item)
        except XapiValidationError as err:
            raise under(f"[{index}]", err) from None


def as_array(value: object, what: str) -> list[Any]:
    """``value`` if it is a JSON array."""
    if not isinstance(value, list):
        fail("", f"must be {what} (a JSON array), not {kind_of(value)}")
    return value


def required(data: dict[str, Any], names: tuple[str, ...], why: str) -> None:
    """Refuse ``data`` if one of ``names`` is missing; ``why`` ends the message."""
    for name in names:
        if name not in data:
            fail(name, f"is required{why}")


# --- scalars ----------------------------------------------------------------------------------


def skip(value: object) -> None:
    """For objectType, already read to choose the checks."""


def string(value: object) -> None:
    """A JSON string (empty allowed)."""
    if not isinstance(value, str):
        fail("", f"must be a string, not {kind_of(value)}")


def boolean(value: object) -> None:
    """``true`` or ``false``, never a string saying so (Data 2.2.s4.b1.b3)."""
    if value is not True and value is not False:
        fail("", f"must be true or false, not {kind_of(value)}")


def numeric(value: object) -> float:
    """``value`` if it is a finite JSON number (not a boolean, not a string of digits)."""
    if isinstance(value, float):
        if not isfinite(value):
            fail("", "must be a finite number")
        return value
    if not isinstance(value, int) or value is True or value is False:
        fail("", f"must be a number, not {kind_of(value)}")
    return value


def number(value: object) -> None:
    """A finite JSON number."""
    numeric(value)


def scaled(value: object) -> None:
    """A number from -1 to 1, a score's ``scaled``."""
    if not -1 <= numeric(value) <= 1:
        fail("", "must be between -1 and 1")


def length(value: object) -> None:
    """A whole number of octets, an attachment's ``length``."""
    if not isinstance(value, int) or value is True or value is False or value < 0:
        fail("", "must be a whole number of octets (0 or more)")


def formatted(test: Callable[[str], object], problem: str) -> Check:
    """A check that the value is a string that ``test`` accepts."""

    def check(value: object) -> None:
        if not isinstance(value, str):
            fail("", f"must be a string, not {kind_of(value)}")
        if not test(value):
            fail("", problem)

    return check


iri = formatted(is_iri, "must be an absolute IRI, starting with a scheme such as https:")
uuid = formatted(is_uuid, "must be a UUID in standard form (8-4-4-4-12 hexadecimal digits)")
mbox = formatted(is_mbox, "must be a mailto: IRI such as mailto:name@example.org")
sha1 = formatted(is_sha1, "must be the SHA-1 of a mailto: IRI, in 40 hexadecimal digits")
sha2 = formatted(is_sha2, "must be a SHA-2 hash in hexadecimal (56, 64, 96 or 128 digits)")
media_type = formatted(is_media_type, "must be an Internet media type such as text/plain")
language_tag = formatted(is_language_tag, "must be an RFC 5646 language tag such as fr or en-GB")
duration = formatted(is_duration, "must be an ISO 8601 duration such as PT1H30M or PT0.5S")
version = formatted(is_version, 'must start with "1.0." (xAPI 1.0.x) or be 2.0.x')


def timestamp(value: object) -> None:
    """An ISO 8601 date and time (``formats.parse_timestamp``)."""
    if not isinstance(value, str):
        fail("", f"must be a string, not {kind_of(value)}")
    parse_timestamp(value, prop="")


def literal(expected: str) -> Check:
    """A check that the value is the string ``expected``."""

    def check(value: object) -> None:
        if value != expected:
            fail("", f"must be {expected}")

    return check


def language_map(value: object) -> None:
    """A non-empty map from RFC 5646 language tags to strings (Data 4.2)."""
    data = filled(value, "a language map")
    for tag, text in data.items():
        if not is_language_tag(tag):
            fail(tag, "is not an RFC 5646 language tag: a language map's keys must be")
        if not isinstance(text, str):
            fail(tag, f"must be a string, not {kind_of(text)}")


def extensions(value: object) -> None:
    """A map whose keys are IRIs; its values may be anything, null included (Data 4.1)."""
    for key in as_object(value, "an extensions map"):
        if not is_iri(key):
            fail(key, "is not an IRI: extension keys must be IRIs")


def iri_list(value: object) -> None:
    """A non-empty array of IRIs (xAPI 2.0 ``relevantTypes``)."""
    items = as_array(value, "an array of IRIs")
    if not items:
        fail("", "must not be an empty array")
    each(items, iri)
