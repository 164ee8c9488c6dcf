"""Documents gardien renders as PDF: invoices and credit notes, certificates of completion.

:mod:`.pdf` holds the shared building blocks (letterhead, rows, tables, latin-1 text,
deterministic output); :mod:`.invoice_pdf` and :mod:`.certificate` word and lay out each
document in French or English. Design note: ``docs/invoices.md``.
"""

from gardien.services.documents.certificate import (
    CertificateData,
    certificate_data_from,
    certificate_of_completion,
    dossier_id_by_agreement,
)
from gardien.services.documents.invoice_pdf import invoice_pdf

__all__ = [
    "CertificateData",
    "certificate_data_from",
    "certificate_of_completion",
    "dossier_id_by_agreement",
    "invoice_pdf",
]
