"""The commercial side of the demo: sponsors, contracts, their learners, invoices and dossiers.

Contracts are generated one plan at a time (funding type, retention stage, number of learners);
each plan produces its sponsor, new learners with their enrolments and statements, funding
dossiers and invoice, with dates that agree with each other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from gardien.domain.vocabulary import CpfStatus, EnrolmentStatus, FundingType, SponsorKind
from gardien.services.demo import catalogue
from gardien.services.demo.catalogue import PATH_BY_CODE, Path
from gardien.services.demo.learning import Outcome, follow_path
from gardien.services.demo.people import ORGANISATIONS_DOMAIN, Person, Registry
from gardien.services.demo.timeline import WINDOWS, Stage, at_random_time, days
from gardien.services.importing.document import (
    ContractIn,
    CpfDossierIn,
    EnrolmentIn,
    InvoiceIn,
    LearnerIn,
    OpcoDossierIn,
    SponsorContactIn,
    SponsorIn,
    StatementIn,
)

VAT_PERCENT = 20
# Share (%) of learners on a running or recent contract who bought a path online before.
RETURNING_PERCENT = 8
# Share (%) of online purchases paid by someone else than the learner (a parent, a partner).
PAID_BY_RELATIVE_PERCENT = 15
# Share (%) of OPCO invoices sent to the OPCO itself (subrogation) rather than the employer.
OPCO_SUBROGATION_PERCENT = 70


@dataclass(frozen=True, slots=True)
class Plan:
    """One contract to generate."""

    funding: FundingType
    stage: Stage
    size: int


@dataclass(frozen=True, slots=True)
class _Client:
    """An organisation sponsor, with what its contracts and invoices need."""

    sponsor: SponsorIn
    opco_name: str
    billing_email: str


@dataclass(frozen=True, slots=True)
class _Terms:
    """The parts of a contract its learners, dossiers and invoice refer to."""

    reference: str
    funding: FundingType
    path: Path
    signed_on: date
    starts_on: date
    ends_on: date
    size: int


@dataclass
class Organisation:
    """Accumulates the records of every contract, in the order they are made."""

    rng: random.Random
    today: date
    people: Registry
    # How many organisation sponsors to create before reusing them for new contracts.
    clients_target: int
    learners: list[LearnerIn] = field(default_factory=list)
    # The same learners as people, for the website records that reuse their addresses.
    learner_people: list[Person] = field(default_factory=list)
    sponsors: list[SponsorIn] = field(default_factory=list)
    contracts: list[ContractIn] = field(default_factory=list)
    enrolments: list[EnrolmentIn] = field(default_factory=list)
    statements: list[StatementIn] = field(default_factory=list)
    invoices: list[InvoiceIn] = field(default_factory=list)
    cpf_dossiers: list[CpfDossierIn] = field(default_factory=list)
    opco_dossiers: list[OpcoDossierIn] = field(default_factory=list)
    _companies: list[_Client] = field(default_factory=list)
    _schools: list[_Client] = field(default_factory=list)
    _individuals: dict[str, SponsorIn] = field(default_factory=dict)
    _serial: int = 0
    _edof_numbers: set[str] = field(default_factory=set)

    def add_contract(self, plan: Plan) -> None:
        """Generate one contract with ``plan.size`` new learners and everything around it."""
        rng, today = self.rng, self.today
        window = WINDOWS[plan.stage]
        if window.pins_contract_end:
            ends_on = window.draw(rng, today)
            starts_on = ends_on - days(rng.randint(60, 240))
            # Learners stop a little before the end, never in the contract's first weeks.
            lasts = [
                max(starts_on + days(20), ends_on - days(rng.randint(0, 20)))
                for _ in range(plan.size)
            ]
        else:
            lasts = [window.draw(rng, today) for _ in range(plan.size)]
            starts_on = min(lasts) - days(rng.randint(40, 200))
            ends_on = (
                today + days(rng.randint(14, 240))
                if plan.stage is Stage.ACTIVE
                else max(lasts) + days(rng.randint(0, 20))
            )
        path = PATH_BY_CODE[rng.choice(catalogue.PATHS_BY_FUNDING[plan.funding])]
        people = [self.people.person() for _ in range(plan.size)]
        # Edge stages get a sponsor of their own, so its last contract is the one pinned.
        dedicated = plan.stage not in (Stage.ACTIVE, Stage.DORMANT, Stage.LONG_GONE)
        sponsor, client = self._sponsor_for(plan.funding, people[0], dedicated=dedicated)
        terms = self._contract(plan.funding, sponsor, path, starts_on, ends_on, people)

        may_return = plan.stage in (Stage.ACTIVE, Stage.DORMANT)
        for index, (person, last) in enumerate(zip(people, lasts, strict=True)):
            outcomes: list[Outcome] = []
            if (
                may_return
                and plan.funding is not FundingType.ONLINE_PAYMENT
                and rng.randrange(100) < RETURNING_PERCENT
            ):
                earlier = self._earlier_purchase(person, before=starts_on, other_than=path)
                outcomes.append(earlier)
            outcome = self._follow(person, terms, last)
            outcomes.append(outcome)
            self._write_learner(person, outcomes)
            if plan.funding is FundingType.CPF:
                self._cpf_dossier(terms, person, outcome)
            elif plan.funding is FundingType.OPCO:
                assert client is not None
                self._opco_dossier(terms, index, person, outcome, client)
        self._invoice(terms, sponsor, client)

    # -- learners ---------------------------------------------------------------------------

    def _follow(self, person: Person, terms: _Terms, last: date) -> Outcome:
        rng = self.rng
        latest_start = max(terms.starts_on, min(terms.starts_on + days(14), last - days(1)))
        offset = rng.randint(0, (latest_start - terms.starts_on).days)
        enrolled_at = at_random_time(rng, terms.starts_on + days(offset))
        last_at = max(at_random_time(rng, last), enrolled_at + timedelta(hours=1))
        return follow_path(
            rng,
            learner=person.email,
            path=terms.path,
            contract=terms.reference,
            enrolled_at=enrolled_at,
            last_activity_at=last_at,
            ongoing=terms.ends_on >= self.today,
        )

    def _earlier_purchase(self, person: Person, *, before: date, other_than: Path) -> Outcome:
        """A path the learner bought online and followed before their current contract."""
        rng = self.rng
        ends_on = before - days(rng.randint(30, 300))
        starts_on = ends_on - days(rng.randint(45, 150))
        # One enrolment per learner and path: the earlier purchase is another path.
        codes = catalogue.PATHS_BY_FUNDING[FundingType.ONLINE_PAYMENT]
        path = PATH_BY_CODE[rng.choice([code for code in codes if code != other_than.code])]
        sponsor = self._individual(person)
        terms = self._contract(
            FundingType.ONLINE_PAYMENT, sponsor, path, starts_on, ends_on, [person]
        )
        self._invoice(terms, sponsor, None)
        return self._follow(person, terms, ends_on - days(rng.randint(0, 15)))

    def _write_learner(self, person: Person, outcomes: list[Outcome]) -> None:
        first = min(outcome.enrolled_at for outcome in outcomes)
        self.learner_people.append(person)
        self.learners.append(
            LearnerIn(
                email=person.email,
                given_name=person.given_name,
                family_name=person.family_name,
                created_at=first - timedelta(minutes=self.rng.randint(5, 3 * 24 * 60)),
                last_activity_at=max(outcome.last_activity_at for outcome in outcomes),
            )
        )
        for outcome in outcomes:
            self.enrolments.append(outcome.enrolment)
            self.statements.extend(outcome.statements)

    # -- sponsors and contracts -------------------------------------------------------------

    def _sponsor_for(
        self, funding: FundingType, learner: Person, *, dedicated: bool
    ) -> tuple[SponsorIn | None, _Client | None]:
        if funding is FundingType.CPF:
            return None, None  # the learner's own account pays, through the Caisse des Dépôts
        if funding is FundingType.ONLINE_PAYMENT:
            relative = self.rng.randrange(100) < PAID_BY_RELATIVE_PERCENT
            return self._individual(self.people.person() if relative else learner), None
        client = self._client(school=funding is FundingType.SCHOOL_PLAN, dedicated=dedicated)
        return client.sponsor, client

    def _individual(self, person: Person) -> SponsorIn:
        """The individual sponsor ``person`` is, created on their first purchase."""
        sponsor = self._individuals.get(person.email)
        if sponsor is None:
            sponsor = SponsorIn(
                ref=f"PART-{self._next():06d}",
                kind=SponsorKind.INDIVIDUAL,
                name=person.name,
                email=person.email,
                address=self.people.address(),
            )
            self._individuals[person.email] = sponsor
            self.sponsors.append(sponsor)
        return sponsor

    def _client(self, *, school: bool, dedicated: bool) -> _Client:
        """A company or school: a returning client, or a new one while the pool is small."""
        pool = self._schools if school else self._companies
        target = max(1, self.clients_target // (3 if school else 1))
        if pool and not dedicated and (len(pool) >= target or self.rng.randrange(100) < 40):
            return self.rng.choice(pool)
        people, rng = self.people, self.rng
        name = people.school_name() if school else people.company_name()
        roles = catalogue.SCHOOL_ROLES if school else catalogue.CONTACT_ROLES
        staff = [people.person(ORGANISATIONS_DOMAIN) for _ in range(rng.randint(1, 3))]
        sponsor = SponsorIn(
            ref=f"ORG-{self._next():06d}",
            kind=SponsorKind.ORGANISATION,
            name=name,
            email=people.organisation_email(name),
            address=people.address(),
            siret=people.siret(),
            contacts=[
                SponsorContactIn(
                    name=member.name,
                    email=member.email,
                    phone=people.phone() if rng.randrange(100) < 70 else None,
                    role=roles[i % len(roles)],
                )
                for i, member in enumerate(staff)
            ],
        )
        self.sponsors.append(sponsor)
        client = _Client(sponsor, rng.choice(catalogue.OPCO_NAMES), staff[0].email)
        if not dedicated:
            pool.append(client)
        return client

    def _contract(
        self,
        funding: FundingType,
        sponsor: SponsorIn | None,
        path: Path,
        starts_on: date,
        ends_on: date,
        people: list[Person],
    ) -> _Terms:
        signed_on = starts_on - days(self.rng.randint(3, 30))
        terms = _Terms(
            reference=f"CT-{signed_on.year}-{self._next():06d}",
            funding=funding,
            path=path,
            signed_on=signed_on,
            starts_on=starts_on,
            ends_on=ends_on,
            size=len(people),
        )
        self.contracts.append(
            ContractIn(
                reference=terms.reference,
                funding_type=funding,
                sponsor=sponsor.ref if sponsor else None,
                path=path.code,
                signed_on=signed_on,
                starts_on=starts_on,
                ends_on=ends_on,
                amount_cents=path.price_cents * len(people),
                learners=[person.email for person in people],
            )
        )
        return terms

    # -- invoices and dossiers --------------------------------------------------------------

    def _invoice(self, terms: _Terms, sponsor: SponsorIn | None, client: _Client | None) -> None:
        """Online purchases are invoiced when paid; funded training when it is over."""
        if terms.funding is FundingType.ONLINE_PAYMENT:
            issued_on = terms.signed_on
        elif terms.ends_on < self.today:
            issued_on = terms.ends_on
        else:
            return
        if terms.funding is FundingType.CPF or sponsor is None:
            name, address, email = catalogue.CPF_BILLING_NAME, catalogue.CPF_BILLING_ADDRESS, None
        elif client is None:
            name, address, email = sponsor.name, sponsor.address or "", sponsor.email
        elif (
            terms.funding is FundingType.OPCO and self.rng.randrange(100) < OPCO_SUBROGATION_PERCENT
        ):
            name, address, email = client.opco_name, self.people.address(), None
        else:
            name, address, email = sponsor.name, sponsor.address or "", client.billing_email
        amount = terms.path.price_cents * terms.size
        self.invoices.append(
            InvoiceIn(
                number=f"FA-{issued_on.year}-{self._next():06d}",
                contract=terms.reference,
                issued_on=issued_on,
                amount_excl_tax_cents=amount,
                tax_cents=amount * VAT_PERCENT // 100,
                billing_name=name,
                billing_address=address,
                billing_email=email,
            )
        )

    def _cpf_dossier(self, terms: _Terms, person: Person, outcome: Outcome) -> None:
        if terms.ends_on >= self.today:
            status, exit_date, reason, result = CpfStatus.IN_TRAINING, None, None, None
        else:
            recent = terms.ends_on > self.today - days(60)
            status = CpfStatus.SERVICE_DECLARED if recent else CpfStatus.SERVICE_VALIDATED
            exit_date = terms.ends_on
            reason, result = {
                EnrolmentStatus.COMPLETED: (
                    "Formation terminée",
                    self.rng.choice(("Certification obtenue", "Certification non obtenue")),
                ),
                EnrolmentStatus.WITHDRAWN: ("Abandon du stagiaire", None),
            }.get(outcome.status, ("Fin de la période de formation", None))
            if outcome.status is EnrolmentStatus.WITHDRAWN:
                status = CpfStatus.TERMINATED
                exit_date = outcome.last_activity_at.date()
        self.cpf_dossiers.append(
            CpfDossierIn(
                edof_number=self._edof_number(),
                contract=terms.reference,
                learner=person.email,
                status=status,
                entry_date=outcome.enrolled_at.date(),
                exit_date=exit_date,
                completion_rate=outcome.progress,
                exit_reason=reason,
                certification_result=result,
            )
        )

    def _opco_dossier(
        self, terms: _Terms, index: int, person: Person, outcome: Outcome, client: _Client
    ) -> None:
        ended = terms.ends_on < self.today
        share = outcome.progress / 100 * self.rng.uniform(0.85, 1.1)
        self.opco_dossiers.append(
            OpcoDossierIn(
                agreement_reference=f"AC-{terms.starts_on.year}-{self._next():06d}",
                contract=terms.reference,
                learner=person.email,
                opco_name=client.opco_name,
                employer_name=client.sponsor.name,
                training_title=terms.path.title,
                training_start=terms.starts_on,
                training_end=terms.ends_on,
                duration_hours=terms.path.hours,
                certificate_ref=f"CR-{terms.reference}-{index + 1:02d}" if ended else None,
                # For e-learning, attendance is shown by connection logs and quiz results.
                attendance_summary={
                    "connections": len(outcome.statements) + self.rng.randint(0, 12),
                    "hours_logged": round(terms.path.hours * share, 1),
                    "modules_completed": outcome.modules_done,
                    "modules_total": len(terms.path.modules),
                    "quizzes_taken": outcome.quizzes,
                    "first_connection": outcome.enrolled_at.isoformat(),
                    "last_connection": outcome.last_activity_at.isoformat(),
                },
            )
        )

    def _edof_number(self) -> str:
        while True:
            number = str(self.rng.randrange(10**10, 10**11))
            if number not in self._edof_numbers:
                self._edof_numbers.add(number)
                return number

    def _next(self) -> int:
        """A serial shared by every reference, so that no two references ever collide."""
        self._serial += 1
        return self._serial
