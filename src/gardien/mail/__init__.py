"""E-mail: the templates people read and their rendering; the SMTP sender comes later.

Messages are queued in the outbox (:mod:`gardien.store.outbox`) in the transaction of what
causes them; a sender delivers them afterwards. Every word a person reads lives in the
templates under ``templates/``, French first and English second.
"""

from gardien.mail.render import RenderedMail, render_mail

__all__ = ["RenderedMail", "render_mail"]
