"""The certificate of completion (certificat de réalisation) of an OPCO-funded training.

It follows the French model of the Ministry of Labour (Code du travail, art. R6332-26): the
provider certifies that the trainee, employee of the employer, followed the training, between
which dates and for how many hours. For distance learning the model asks that completion rest
on the learning activities done and the time they take: the dossier's attendance summary
(connections, hours connected, activities completed) is printed for that. Everything comes
from the ``opco_dossier`` row, which keeps its own snapshot of the trainee's name, and from the
policy's controller (the provider).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from gardien.errors import NotFoundError
from gardien.policy import Policy
from gardien.services.documents.pdf import (
    Lang,
    Letterhead,
    PdfDocument,
    Wording,
    check_lang,
    format_day,
    format_number,
)
from gardien.store.tables import opco_dossier

TITLE = Wording("Certificat de réalisation", "Certificate of completion")
UNDERSIGNED = Wording(
    "Je soussigné(e), représentant(e) légal(e) de {provider}, dispensateur de l'action"
    " concourant au développement des compétences, atteste que :",
    "I, the undersigned, legal representative of {provider}, provider of the skills"
    " development action, certify that:",
)
FOLLOWED = Wording(
    "{trainee}, salarié(e) de l'entreprise {employer}, a suivi l'action « {title} », qui s'est"
    " déroulée du {start} au {end}, pour une durée de {duration}.",
    '{trainee}, employee of {employer}, followed the action "{title}", which took place from'
    " {start} to {end}, for a duration of {duration}.",
)
CERTIFIED = Wording(
    "Le dispensateur certifie que cette action a été réalisée. Pour une formation à distance, sa"
    " réalisation est établie par les activités pédagogiques réalisées et le temps de connexion"
    " relevés ci-dessus.",
    "The provider certifies that this action took place. For distance learning, its completion"
    " is established by the learning activities done and the connection time recorded above.",
)
KEEPING = Wording(
    "Sans préjudice des délais imposés par les règles fixées par l'organisme financeur, le"
    " dispensateur de l'action s'engage à conserver l'ensemble des pièces justificatives qui ont"
    " permis d'établir le présent certificat pendant une durée de 3 ans à compter de la fin de"
    " l'année du dernier paiement.",
    "Without prejudice to the periods set by the funding body's rules, the provider undertakes to"
    " keep all the supporting documents from which this certificate was drawn up for 3 years"
    " from the end of the year of the last payment.",
)
DONE_AT = Wording("Fait à {place}, le {day}", "Done at {place}, on {day}")
DONE_ON = Wording("Fait le {day}", "Done on {day}")
SIGNATURE = Wording(
    "Cachet et signature du responsable du dispensateur de l'action",
    "Stamp and signature of the provider's representative",
)
ATTENDANCE = Wording("Relevé de connexions et d'activités", "Connections and activities")
HOURS = Wording("{hours} heures", "{hours} hours")
ONE_HOUR = Wording("{hours} heure", "{hours} hour")
YES_NO = (Wording("non", "no"), Wording("oui", "yes"))

LABELS = {
    "trainee": Wording("Bénéficiaire", "Trainee"),
    "employer": Wording("Entreprise", "Employer"),
    "title": Wording("Intitulé de l'action", "Training"),
    "nature": Wording("Nature de l'action", "Type of action"),
    "dates": Wording("Dates", "Dates"),
    "duration": Wording("Durée", "Duration"),
    "funder": Wording("Organisme financeur", "Funding body"),
    "agreement": Wording("Référence du dossier", "Agreement reference"),
}
NATURE = Wording(
    "Action de formation (Code du travail, art. L6313-1)",
    "Training action (French Labour Code, art. L6313-1)",
)
DATES = Wording("du {start} au {end}", "from {start} to {end}")

# Labels of the attendance keys an LMS export usually carries; other keys are shown as named.
ATTENDANCE_LABELS = {
    "connections": Wording("Nombre de connexions", "Connections"),
    "hours_connected": Wording("Heures de connexion", "Hours connected"),
    "time_connected_hours": Wording("Heures de connexion", "Hours connected"),
    "activities_completed": Wording("Activités réalisées", "Activities completed"),
    "activities_total": Wording("Activités proposées", "Activities offered"),
    "quizzes_passed": Wording("Évaluations réussies", "Quizzes passed"),
    "modules_completed": Wording("Modules terminés", "Modules completed"),
    "first_connection": Wording("Première connexion", "First connection"),
    "last_connection": Wording("Dernière connexion", "Last connection"),
}

# "75000 Paris" in a French postal address: the place the certificate is made at.
_CITY = re.compile(r"\b\d{5}\s+([^,\n]+)")


@dataclass(frozen=True)
class CertificateData:
    """Everything the certificate shows; :func:`certificate_data_from` reads it from a dossier."""

    controller_name: str
    controller_address: str
    agreement_reference: str
    opco_name: str
    trainee_name: str
    employer_name: str
    training_title: str
    training_start: date
    training_end: date
    duration_hours: float
    attendance_summary: dict[str, Any] | None
    issued_on: date
    lang: str = "fr"


def certificate_of_completion(data: CertificateData) -> bytes:
    """The certificate of completion as a PDF, in French (default) or English.

    Raises :class:`UnsupportedLanguageError` for another language. The same data gives the same
    bytes (the PDF's date is ``issued_on``).
    """
    lang = check_lang(data.lang)
    doc = PdfDocument(
        letterhead=Letterhead(data.controller_name, data.controller_address),
        title=TITLE.in_(lang),
        issued_on=data.issued_on,
        lang=lang,
    )
    start, end = format_day(data.training_start, lang), format_day(data.training_end, lang)
    duration = _duration(data.duration_hours, lang)
    doc.paragraph(UNDERSIGNED.in_(lang).format(provider=data.controller_name))
    doc.paragraph(
        FOLLOWED.in_(lang).format(
            trainee=data.trainee_name,
            employer=data.employer_name,
            title=data.training_title,
            start=start,
            end=end,
            duration=duration,
        )
    )
    doc.rows(
        [
            (LABELS["trainee"].in_(lang), data.trainee_name),
            (LABELS["employer"].in_(lang), data.employer_name),
            (LABELS["title"].in_(lang), data.training_title),
            (LABELS["nature"].in_(lang), NATURE.in_(lang)),
            (LABELS["dates"].in_(lang), DATES.in_(lang).format(start=start, end=end)),
            (LABELS["duration"].in_(lang), duration),
            (LABELS["funder"].in_(lang), data.opco_name),
            (LABELS["agreement"].in_(lang), data.agreement_reference),
        ]
    )
    if data.attendance_summary:
        doc.heading(ATTENDANCE.in_(lang))
        doc.rows(
            [
                (_attendance_label(key, lang), _attendance_value(value, lang))
                for key, value in data.attendance_summary.items()
            ],
            label_width=70.0,
        )
    doc.space(2)
    doc.paragraph(CERTIFIED.in_(lang))
    doc.paragraph(KEEPING.in_(lang))
    doc.space(4)
    day = format_day(data.issued_on, lang)
    place = _place(data.controller_address)
    if place:
        doc.paragraph(DONE_AT.in_(lang).format(place=place, day=day))
    else:
        doc.paragraph(DONE_ON.in_(lang).format(day=day))
    doc.space(2)
    doc.paragraph(SIGNATURE.in_(lang), bold=True)
    return doc.output()


def certificate_data_from(
    connection: Connection, dossier_id: int, *, policy: Policy, issued_on: date, lang: str = "fr"
) -> CertificateData:
    """The certificate's data for the OPCO dossier ``dossier_id``; :class:`NotFoundError` if none.

    The provider is the policy's controller; the trainee's name is the dossier's own snapshot,
    so the certificate can be made again after the learner's account is gone.
    """
    row = connection.execute(select(opco_dossier).where(opco_dossier.c.id == dossier_id)).first()
    if row is None:
        raise NotFoundError(f"no OPCO dossier with id {dossier_id}")
    return CertificateData(
        controller_name=policy.controller.name,
        controller_address=policy.controller.address,
        agreement_reference=row.agreement_reference,
        opco_name=row.opco_name,
        trainee_name=row.trainee_name,
        employer_name=row.employer_name,
        training_title=row.training_title,
        training_start=row.training_start,
        training_end=row.training_end,
        duration_hours=float(row.duration_hours),
        attendance_summary=None if row.attendance_summary is None else dict(row.attendance_summary),
        issued_on=issued_on,
        lang=lang,
    )


def dossier_id_by_agreement(connection: Connection, agreement_reference: str) -> int:
    """The id of the OPCO dossier with this agreement reference; :class:`NotFoundError` if none."""
    found = connection.execute(
        select(opco_dossier.c.id).where(
            opco_dossier.c.agreement_reference == agreement_reference.strip()
        )
    ).scalar()
    if found is None:
        raise NotFoundError(f"no OPCO dossier with agreement reference {agreement_reference!r}")
    return int(found)


def _duration(hours: float, lang: Lang) -> str:
    # French puts the singular below two ("1,5 heure"), English only on one.
    singular = hours < 2 if lang == "fr" else hours == 1
    wording = ONE_HOUR if singular else HOURS
    return wording.in_(lang).format(hours=format_number(hours, lang))


def _attendance_label(key: str, lang: Lang) -> str:
    known = ATTENDANCE_LABELS.get(key)
    if known is not None:
        return known.in_(lang)
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _attendance_value(value: Any, lang: Lang) -> str:
    if isinstance(value, bool):
        return YES_NO[value].in_(lang)
    if isinstance(value, int | float):
        return format_number(value, lang)
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _place(address: str) -> str | None:
    found = _CITY.search(address)
    return found.group(1).strip() if found else None
