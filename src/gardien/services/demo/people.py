"""Fictional people and organisations, with addresses on reserved domains only.

People get ``@example.org`` addresses, organisations and their staff ``@example.com`` ones
(RFC 2606): whatever the demo sends, no real mailbox can receive it.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from gardien.services.demo import catalogue

PEOPLE_DOMAIN = "example.org"
ORGANISATIONS_DOMAIN = "example.com"


@dataclass(frozen=True, slots=True)
class Person:
    """A fictional person: names and a unique e-mail address."""

    given_name: str
    family_name: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def slug(text: str) -> str:
    """``"Élodie Le Gall"`` → ``"elodie-le-gall"``: ASCII, lower case, for e-mail local parts."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return "-".join(words)


class Registry:
    """Hands out people and organisation names that are unique within one demo document."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._emails: set[str] = set()
        self._organisations: set[str] = set()
        self._numbers: set[str] = set()

    def person(self, domain: str = PEOPLE_DOMAIN) -> Person:
        """A new person, named at random; homonyms get a number in their address."""
        given = self._rng.choice(catalogue.GIVEN_NAMES)
        family = self._rng.choice(catalogue.FAMILY_NAMES)
        base = f"{slug(given)}.{slug(family)}"
        email = f"{base}@{domain}"
        counter = 1
        while email in self._emails:
            counter += 1
            email = f"{base}{counter}@{domain}"
        self._emails.add(email)
        return Person(given, family, email)

    def organisation_email(self, name: str) -> str:
        """A generic mailbox of an organisation (not a person's)."""
        email = f"contact.{slug(name)}@{ORGANISATIONS_DOMAIN}"
        self._emails.add(email)
        return email

    def company_name(self) -> str:
        """An invented company name, unique in the document."""
        rng = self._rng
        name = self._unique(
            lambda: f"{rng.choice(catalogue.TRADES)} {rng.choice(catalogue.PLACES)}"
        )
        return f"{name} {rng.choice(catalogue.LEGAL_FORMS)}"

    def school_name(self) -> str:
        """An invented school name, unique in the document."""
        rng = self._rng
        return self._unique(
            lambda: f"{rng.choice(catalogue.SCHOOL_KINDS)} {rng.choice(catalogue.PLACES)}"
        )

    def address(self) -> str:
        """An invented street address in a real French town."""
        postcode, town = self._rng.choice(catalogue.TOWNS)
        number = self._rng.randint(1, 180)
        return f"{number} {self._rng.choice(catalogue.STREETS)}\n{postcode} {town}"

    def phone(self) -> str:
        """A number from the ARCEP ranges reserved for fiction (01 99 00 and 06 39 98)."""
        prefix = self._rng.choice(("+33 1 99 00", "+33 6 39 98"))
        return f"{prefix} {self._rng.randint(0, 99):02d} {self._rng.randint(0, 99):02d}"

    def siret(self) -> str:
        """A 14-digit SIRET; the leading zeros keep it away from registered companies."""
        while True:
            number = f"000{self._rng.randrange(10**11):011d}"
            if number not in self._numbers:
                self._numbers.add(number)
                return number

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(20):
            name = make()
            if name not in self._organisations:
                self._organisations.add(name)
                return name
        # The combinations run out in large documents: number the next one of a kind.
        name = f"{make()} {len(self._organisations) + 1}"
        self._organisations.add(name)
        return name
