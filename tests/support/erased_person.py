"""Ombeline Kerhervy, the fictional learner whose erasure the raw-scan tests follow.

She trains on an OPCO-funded course (the dossier the law keeps holds her name), her employer's
contact card carries her phone, and her colleague Gaspard on the same course stays: no
identifier below is part of his rows or the employer's, so a scan cannot mistake them for hers.
"""

from __future__ import annotations

EMAIL = "ombeline.kerhervy@example.org"
GIVEN = "Ombeline"
FAMILY = "Kerhervy"
NAME = f"{GIVEN} {FAMILY}"
PHONE = "01 99 00 47 83"  # a range ARCEP reserves for fiction
MESSAGE = "Pourriez-vous m'envoyer le programme du stage de tonnellerie de printemps ?"
# Her colleague on the same training, and the employer: their rows stay and must not be
# mistaken for hers (no identifier below is part of theirs).
COLLEAGUE = "gaspard.lenoir@example.org"
EMPLOYER = {
    "ref": "ORG-TONN",
    "kind": "organisation",
    "name": "Tonnellerie Fictive SARL",
    "email": "rh@tonnellerie-fictive.example.com",
    "address": "3 chemin des Douelles\n33000 Bordeaux",
    "contacts": [
        {"name": NAME, "email": EMAIL, "phone": PHONE, "role": "Responsable formation"},
        {"name": "Gaspard Lenoir", "email": COLLEAGUE},
    ],
}
DOSSIER = "AC-TONN-7"  # training ended 15 Dec 2025: the OPCO may check it until Dec 2031
