"""The GDPR Art. 30 record of processing activities, generated from the policy.

:func:`build_register` reads the policy into a :class:`Register` worded in one language
(French or English); :func:`as_csv`, :func:`as_json` and :func:`as_html` lay it out. Only
column headings and set phrases are fixed (:mod:`~gardien.services.register.wording`); every
value comes from the policy. Design note: ``docs/register.md``.
"""

from gardien.services.register.build import build_register
from gardien.services.register.formats import CELL_SEPARATOR, as_csv, as_html, as_json
from gardien.services.register.model import Register
from gardien.services.register.wording import LANGS, Lang

__all__ = [
    "CELL_SEPARATOR",
    "LANGS",
    "Lang",
    "Register",
    "as_csv",
    "as_html",
    "as_json",
    "build_register",
]
