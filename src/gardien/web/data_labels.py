"""« Mes données » in words: the subject export's records as a person reads them.

The export (``services/subject_export.py``) is complete and machine-readable: column names,
ISO dates, statement ids, pseudonyms, verb IRIs, raw statements. The page says the same in
plain words: a label for each field, dates as people write them, statuses translated, learning
activity as sentences, recipients by name. Internal identifiers (pseudonyms, digests, statement
ids) and raw JSON stay in the JSON download; the page leaves them out.

What records and fields are called is shared with the erasure e-mail, so it lives below the web
layer (``services/record_words.py``); this module adds how values, traces and transmissions read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gardien.services.record_words import NO_VALUE, RecordWords, day
from gardien.web.forms import N_
from gardien.web.sponsor_words import STATUSES as PROGRESS_STATUSES

KINDS = {
    "access": N_("Access to my data"),
    "portability": N_("Download of my data"),
    "rectification": N_("Correction"),
    "erasure": N_("Erasure"),
    "objection": N_("Objection to commercial communication"),
}
REQUEST_STATUSES = {
    "open": N_("In progress"),
    "extended": N_("In progress, deadline extended"),
    "completed": N_("Done"),
    "refused": N_("Refused"),
}
# Internal identifiers, digests and raw data: in the JSON download, never on the page.
HIDDEN = {
    "learner.pseudonym",
    "learner.mbox_sha1sum",
    "xapi_attachment.sha2",
    "xapi_attachment.sha256",
    "outbox_message.dedupe_key",
    "outbox_message.html_body",
    "outbox_message.headers",
    "newsletter_subscription.consent_notice_version",
    "subject_request.identity_check",
    "subject_request.details",
    "subject_request.outcome",
    "subject_request.verification_sha256",
    "account.invitation_nonce",
}
# A field shown only when it holds something (a learner's account has no sponsor's contact).
_ONLY_WHEN_SET = {
    "account.deactivated_at",
    "account.sponsor_contact",
    "subject_request.extended_to",
    "subject_request.extension_reason",
}
ROLES = {
    "learner": N_("learner"),
    "sponsor_contact": N_("sponsor's contact"),
    "dpo": N_("data protection officer"),
    "admin": N_("administrator"),
}
OTHER_STATUSES = {
    "pending": N_("waiting for confirmation"),
    "confirmed": N_("confirmed"),
    "unsubscribed": N_("unsubscribed"),
    "accepted": N_("accepted"),
    "in_training": N_("in training"),
    "terminated": N_("ended"),
    "service_declared": N_("training declared done"),
    "service_validated": N_("training validated"),
    "cancelled": N_("cancelled"),
    "refused": N_("refused"),
}
# Keys of the OPCO's attendance evidence.
EVIDENCE = {
    "connections": N_("connections"),
    "quizzes_passed": N_("quizzes passed"),
    "hours": N_("hours"),
}
_PERCENT = {"enrolment.progress", "cpf_dossier.completion_rate"}
_SCALED = {"module_progress.score_scaled"}
_HOURS = {"opco_dossier.duration_hours"}
_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")

# What a learner did, by ADL verb (the last part of its IRI).
VERBS = {
    "passed": N_("%(activity)s passed"),
    "failed": N_("%(activity)s failed"),
    "completed": N_("%(activity)s completed"),
    "attempted": N_("%(activity)s attempted"),
    "launched": N_("%(activity)s opened"),
    "initialized": N_("%(activity)s started"),
    "terminated": N_("%(activity)s closed"),
    "exited": N_("%(activity)s left"),
    "suspended": N_("%(activity)s paused"),
    "resumed": N_("%(activity)s resumed"),
    "experienced": N_("%(activity)s viewed"),
    "answered": N_("%(activity)s answered"),
    "progressed": N_("%(activity)s continued"),
    "scored": N_("%(activity)s scored"),
    "mastered": N_("%(activity)s mastered"),
    "registered": N_("Registered for %(activity)s"),
}


class Words(RecordWords):
    """The export's pieces in ``lang``, through the page's translations ``t``: records and
    fields by name (:class:`RecordWords`, shared with the erasure e-mail), values in words."""

    def fields(self, record: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A record's fields as (label, value) pairs, without internal ids and raw data."""
        kind = str(record["record"])
        context = record.get("context") or {}
        shown = []
        for name, value in record["fields"].items():
            dotted = f"{kind}.{name}"
            if dotted in HIDDEN or (dotted in _ONLY_WHEN_SET and value is None):
                continue
            shown.append((self.label(kind, name), self.value(dotted, value, context)))
        return shown

    def value(self, dotted: str, value: Any, context: Mapping[str, Any] | None = None) -> str:
        """One value in words: statuses translated, dates as people write them, no JSON."""
        context = context or {}
        t = self.t
        if value is None or value == "" or value == []:
            return NO_VALUE
        if isinstance(value, bool):
            return t(N_("yes") if value else N_("no"))
        name = dotted.partition(".")[2]
        if dotted == "module_progress.module" and context.get("module_title"):
            return str(context["module_title"])
        if dotted in ("enrolment.path", "module_progress.enrolment") and context.get("path_title"):
            return str(context["path_title"])
        if dotted == "subject_request.status" and value in REQUEST_STATUSES:
            return t(REQUEST_STATUSES[value])
        if name == "status" and isinstance(value, str):
            known = PROGRESS_STATUSES.get(value) or OTHER_STATUSES.get(value)
            return t(known) if known else value.replace("_", " ")
        if name == "role" and isinstance(value, str):
            role = ROLES.get(value)
            return t(role) if role else value.replace("_", " ")
        if dotted == "subject_request.kind" and value in KINDS:
            return t(KINDS[value])
        if dotted in _SCALED and isinstance(value, int | float):
            return t(N_("%(percent)d%%"), percent=round(value * 100))
        if dotted in _PERCENT and isinstance(value, int | float):
            return t(N_("%(percent)d%%"), percent=round(value))
        if dotted in _HOURS and isinstance(value, int | float):
            return t(N_("%(hours)s hours"), hours=f"{value:g}")
        if isinstance(value, dict):
            return ", ".join(
                f"{self._key(key)} : {self.value('', item)}"
                if self.lang == "fr"
                else f"{self._key(key)}: {self.value('', item)}"
                for key, item in value.items()
            )
        if isinstance(value, list):
            return ", ".join(self.value(dotted, item, context) for item in value)
        if isinstance(value, str) and (_DAY.match(value) or _INSTANT.match(value)):
            return day(value, self.lang)
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def _key(self, key: str) -> str:
        known = EVIDENCE.get(key)
        return self.t(known) if known else key.replace("_", " ")

    def activity(self, record: Mapping[str, Any]) -> str:
        """A learning trace as a sentence: « Module 2 réussi, score 84 %, le 13/10/2026 »."""
        fields = record["fields"]
        raw = fields.get("raw") if isinstance(fields.get("raw"), dict) else {}
        name = _in_language(_path(raw, "object", "definition", "name"), self.lang)
        activity = name or self.t(N_("Untitled activity"))
        verb = str(fields.get("verb") or "").rstrip("/").rpartition("/")[2]
        if verb in VERBS:
            done = self.t(VERBS[verb], activity=activity)
        else:
            shown = _in_language(_path(raw, "verb", "display"), self.lang)
            done = (
                self.t(N_("%(activity)s: %(verb)s"), activity=activity, verb=shown)
                if shown
                else (self.t(N_("%(activity)s: activity recorded"), activity=activity))
            )
        score = fields.get("result_score_scaled")
        when = day(fields.get("timestamp"), self.lang)
        if isinstance(score, int | float):
            return self.t(
                N_("%(done)s, score %(score)d%%, on %(day)s"),
                done=done,
                score=round(score * 100),
                day=when,
            )
        return self.t(N_("%(done)s, on %(day)s"), done=done, day=when)

    def sent(self, sent: Mapping[str, Any], names: Mapping[str, str]) -> str:
        """A transmission by name: « Transmis à ACME SAS, employeur, le 06/12/2026 »."""
        label = sent.get("recipient_label") or {}
        role = label.get(self.lang) or str(sent.get("recipient", ""))
        who = names.get(f"{sent.get('recipient')}:{sent.get('contract')}")
        when = day(sent.get("transmitted_at"), self.lang)
        if who:
            return self.t(
                N_("Sent to %(name)s, %(role)s, on %(day)s"), name=who, role=role.lower(), day=when
            )
        return self.t(N_("Sent to %(role)s on %(day)s"), role=role, day=when)

    def kept_longer(self, kept: Mapping[str, Any], rules: Mapping[str, Any]) -> str:
        """A field another record keeps past this one's end, and why, in words."""
        fields = ", ".join(self.label(str(kept["record"]), name) for name in kept["fields"])
        rule = rules.get(str(kept.get("rule")))
        why = (
            rule.label.model_dump()[self.lang] if rule is not None else self.record(kept["record"])
        )
        return self.t(
            N_("%(fields)s kept until %(day)s (%(why)s)"),
            fields=fields[:1].upper() + fields[1:],
            day=day(kept["ends_on"], self.lang),
            why=why,
        )


def recipient_names(categories: list[Mapping[str, Any]]) -> dict[str, str]:
    """Who, by name, is behind a recipient of a contract: the sponsor (an organisation) for
    an employer or a school, the OPCO of the dossier; keyed ``recipient:contract``."""
    names: dict[str, str] = {}
    for category in categories:
        for record in category["records"]:
            context = record.get("context") or {}
            contract = record["fields"].get("contract")
            if record["record"] == "contract_learner" and context.get("sponsor_name"):
                for recipient in ("employer", "school"):
                    names[f"{recipient}:{contract}"] = str(context["sponsor_name"])
            if record["record"] == "opco_dossier" and context.get("opco_name"):
                names[f"opco:{contract}"] = str(context["opco_name"])
    return names


def _path(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _in_language(names: Any, lang: str) -> str:
    """The text of an xAPI language map in ``lang`` if there is one, else in any language."""
    if not isinstance(names, dict) or not names:
        return ""
    for tag, text in names.items():
        if str(tag).lower().split("-")[0] == lang and isinstance(text, str):
            return text
    first = next(iter(names.values()))
    return first if isinstance(first, str) else ""
