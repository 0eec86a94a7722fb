"""All tables, imported here so Alembic and the app see the whole schema."""

from attendance.models.absence import JUSTIFICATIONS, AbsenceJustification
from attendance.models.competence import CompetenceAssessment
from attendance.models.declaration import DeclarationPush, MonthDeclaration
from attendance.models.dispositif import Dispositif
from attendance.models.invoice import INVOICE_KINDS, Invoice, InvoiceCounter, InvoiceLine
from attendance.models.job import JOB_STATES, Job
from attendance.models.organisation import (
    DEFAULT_PAYMENT_TERMS_FR,
    ROLES,
    ApiToken,
    Organisation,
    User,
)
from attendance.models.purchase_order import (
    BDC_MODES,
    BILLING_UNITS,
    MONTH_STATES,
    Composante,
    MonthPeriod,
    PurchaseOrder,
)
from attendance.models.reminder import REMINDER_KINDS, Reminder
from attendance.models.security import RateLimitCounter
from attendance.models.signing import (
    BINDING_REQUEST_STATUSES,
    Device,
    DeviceBindingRequest,
    EmargementRevision,
    EvidenceEntry,
    EvidenceHead,
    Invitation,
    KioskCredential,
    SigningKey,
)
from attendance.models.site import Room, Site
from attendance.models.slot import (
    ATTENDANCE_STATUSES,
    SIGN_IN_METHODS,
    SLOT_KINDS,
    UNSIGNED_METHODS,
    Correction,
    Emargement,
    Slot,
)
from attendance.models.trainee import PATHWAY_STATUSES, Pathway, PathwayEvent, Trainee

__all__ = [
    "ATTENDANCE_STATUSES",
    "BDC_MODES",
    "BILLING_UNITS",
    "BINDING_REQUEST_STATUSES",
    "DEFAULT_PAYMENT_TERMS_FR",
    "INVOICE_KINDS",
    "JOB_STATES",
    "JUSTIFICATIONS",
    "MONTH_STATES",
    "PATHWAY_STATUSES",
    "REMINDER_KINDS",
    "ROLES",
    "SIGN_IN_METHODS",
    "SLOT_KINDS",
    "UNSIGNED_METHODS",
    "AbsenceJustification",
    "ApiToken",
    "CompetenceAssessment",
    "Composante",
    "Correction",
    "DeclarationPush",
    "Device",
    "DeviceBindingRequest",
    "Dispositif",
    "Emargement",
    "EmargementRevision",
    "EvidenceEntry",
    "EvidenceHead",
    "Invitation",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "Job",
    "KioskCredential",
    "MonthDeclaration",
    "MonthPeriod",
    "Organisation",
    "Pathway",
    "PathwayEvent",
    "PurchaseOrder",
    "RateLimitCounter",
    "Reminder",
    "Room",
    "SigningKey",
    "Site",
    "Slot",
    "Trainee",
    "User",
]
