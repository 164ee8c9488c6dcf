"""Import funding dossiers (CPF on EDOF, OPCO agreements) and the website's records."""

from __future__ import annotations

from collections.abc import Sequence

from gardien.services.importing.context import ImportContext, require, utc
from gardien.services.importing.document import (
    ContactMessageIn,
    CpfDossierIn,
    NewsletterSubscriptionIn,
    OpcoDossierIn,
)
from gardien.services.importing.sync import Key, Spec, Values, upsert
from gardien.store.tables import contact_message, cpf_dossier, newsletter_subscription, opco_dossier

CPF = Spec(
    cpf_dossier,
    key=("edof_number",),
    values=(
        "contract_id",
        "learner_id",
        "status",
        "entry_date",
        "exit_date",
        "completion_rate",
        "exit_reason",
        "certification_result",
    ),
    touch=("updated_at",),
)
OPCO = Spec(
    opco_dossier,
    key=("agreement_reference",),
    values=(
        "contract_id",
        "learner_id",
        "opco_name",
        "trainee_name",
        "employer_name",
        "training_title",
        "training_start",
        "training_end",
        "duration_hours",
        "certificate_ref",
        "attendance_summary",
    ),
)
NEWSLETTER = Spec(
    newsletter_subscription,
    key=("email",),
    values=(
        "status",
        "created_at",
        "consent_at",
        "consent_source",
        "consent_notice_version",
        "consent_wording",
        "confirmed_at",
        "unsubscribed_at",
    ),
)
MESSAGE = Spec(
    contact_message, key=("email", "received_at"), values=("name", "message", "last_exchange_at")
)


def import_cpf_dossiers(ctx: ImportContext, dossiers: Sequence[CpfDossierIn]) -> None:
    """Upsert CPF dossiers by EDOF number; ``updated_at`` is set when one is written."""
    if not dossiers:
        return
    section = "cpf_dossiers"
    contracts = ctx.contract_ids(d.contract for d in dossiers)
    require(section, dossiers, "contract", contracts, "contract")
    learners = ctx.learner_refs(d.learner for d in dossiers)
    require(section, dossiers, "learner", learners, "learner")
    incoming: dict[Key, Values] = {
        (d.edof_number,): (
            contracts[d.contract],
            learners[d.learner].id,
            d.status.value,
            d.entry_date,
            d.exit_date,
            d.completion_rate,
            d.exit_reason,
            d.certification_result,
        )
        for d in dossiers
    }
    ctx.report.add(section, upsert(ctx.bulk, CPF, incoming, touch=(ctx.now,)).counts)


def import_opco_dossiers(ctx: ImportContext, dossiers: Sequence[OpcoDossierIn]) -> None:
    """Upsert OPCO dossiers by agreement reference, with a snapshot of the trainee's name."""
    if not dossiers:
        return
    section = "opco_dossiers"
    contracts = ctx.contract_ids(d.contract for d in dossiers)
    require(section, dossiers, "contract", contracts, "contract")
    learners = ctx.learner_refs(d.learner for d in dossiers)
    require(section, dossiers, "learner", learners, "learner")
    # The OPCO may check the dossier for 72 months, after the learner's own record is gone.
    names = ctx.learner_names(d.learner for d in dossiers)
    incoming: dict[Key, Values] = {
        (d.agreement_reference,): (
            contracts[d.contract],
            learners[d.learner].id,
            d.opco_name,
            names[d.learner],
            d.employer_name,
            d.training_title,
            d.training_start,
            d.training_end,
            d.duration_hours,
            d.certificate_ref,
            d.attendance_summary,
        )
        for d in dossiers
    }
    ctx.report.add(section, upsert(ctx.bulk, OPCO, incoming).counts)


def import_newsletter(
    ctx: ImportContext, subscriptions: Sequence[NewsletterSubscriptionIn]
) -> None:
    """Upsert newsletter subscriptions (with their consent proof) by e-mail."""
    if not subscriptions:
        return
    incoming: dict[Key, Values] = {
        (s.email,): (
            s.status,
            utc(s.created_at),
            utc(s.consent_at),
            s.consent_source,
            s.consent_notice_version,
            s.consent_wording,
            utc(s.confirmed_at),
            utc(s.unsubscribed_at),
        )
        for s in subscriptions
    }
    ctx.report.add("newsletter_subscriptions", upsert(ctx.bulk, NEWSLETTER, incoming).counts)


def import_messages(ctx: ImportContext, messages: Sequence[ContactMessageIn]) -> None:
    """Upsert contact messages by (e-mail, instant received)."""
    if not messages:
        return
    incoming: dict[Key, Values] = {
        (m.email, utc(m.received_at)): (m.name, m.message, utc(m.last_exchange_at))
        for m in messages
    }
    ctx.report.add("contact_messages", upsert(ctx.bulk, MESSAGE, incoming).counts)
