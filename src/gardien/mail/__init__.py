"""E-mail: templates and rendering, composing, DKIM, the SMTP transport, the development sink.

Messages are queued in the outbox (:mod:`gardien.store.outbox`) in the transaction of what
causes them; :mod:`gardien.services.outbox_sender` delivers them afterwards over SMTP
(:mod:`.compose` builds the message, :mod:`.dkim` signs it, :mod:`.smtp` sends it). The
inactivity warning's words live in ``templates/``; the website's e-mails come from gettext
templates in :mod:`gardien.services.website`. See docs/mail.md.
"""

from gardien.mail.render import RenderedMail, render_mail

__all__ = ["RenderedMail", "render_mail"]
