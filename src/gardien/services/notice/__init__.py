"""The privacy notice, derived from the policy: ``gardien notice`` and the public pages.

:mod:`.model` builds what the notice says (a :class:`~.model.NoticeView`), :mod:`.render` puts
it into Markdown or HTML through the templates and the gettext catalogues of
:mod:`gardien.i18n`.
"""

from gardien.services.notice.fields import FieldCategories, field_categories
from gardien.services.notice.model import NoticeView, build_notice
from gardien.services.notice.render import FORMATS, Format, notice_document, render_notice

__all__ = [
    "FORMATS",
    "FieldCategories",
    "Format",
    "NoticeView",
    "build_notice",
    "field_categories",
    "notice_document",
    "render_notice",
]
