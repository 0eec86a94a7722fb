"""An organisation's settings: identity (SIRET), signatory, stamp and signature images,
reminder delays, retention and what its invoices say.

The pages, the CLI and any later API call these same checks, so a SIRET or an image
refused on one edge is refused on all. A refusal names every field at fault at once
(``details["fields"]``), in French, so a form shows each message next to its field.
"""

import io
from decimal import Decimal, InvalidOperation

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.exceptions import ValidationError
from stdnum.fr import siret as stdnum_siret

from attendance.errors import DomainError
from attendance.models import Organisation
from attendance.text import forbidden_character

# A stamp or a signature is a small scan: 2 MB is generous and keeps a PDF light.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_SIDE = 6000  # beyond this, the file is a decompression bomb, not a scan
STORED_SIDE = 800  # what a document needs at print size; larger scans are scaled down
IMAGES = {"stamp": "stamp_png", "signature": "signature_png"}
IMAGE_LABELS = {"stamp": "Cachet", "signature": "Signature"}

# field → (label, maximum length); the text fields of the settings form.
TEXT_FIELDS = {
    "name": ("Raison sociale", 200),
    "address": ("Adresse", 500),
    "signatory_name": ("Nom du signataire", 200),
    "signatory_title": ("Qualité du signataire", 200),
    "payment_terms": ("Conditions de paiement", 2000),
    "invoice_mentions": ("Mentions des factures", 2000),
}
MULTILINE = {"address", "payment_terms", "invoice_mentions"}
REQUIRED = {"name", "payment_terms"}
# field → (label, minimum, maximum); whole numbers.
NUMBER_FIELDS = {
    "reminder_trainee_delay_minutes": ("Relance des stagiaires (minutes)", 1, 24 * 60),
    "reminder_trainer_delay_minutes": ("Relance des formateurs (minutes)", 1, 24 * 60),
    # DOMAIN « Legal evidence »: the Region audits up to 6 years back (10 when co-financed).
    "retention_years": ("Durée de conservation (années)", 6, 50),
    "retention_cofinanced_years": ("Conservation si cofinancement FSE (années)", 10, 50),
}


class SettingsRefused(DomainError):
    """One or more fields refused; ``details["fields"]`` maps each to its French message."""

    status = 422

    def __init__(self, fields: dict[str, str]):
        first = next(iter(fields.values()))
        super().__init__("SETTINGS_REFUSED", first, {"fields": fields})


def normalise_siret(value: str) -> str:
    """The SIRET's 14 digits (spaces and dots removed), or a French refusal: 14 digits whose
    SIREN and SIRET pass the Luhn check (La Poste's establishments excepted, as INSEE does)."""
    compact = stdnum_siret.compact(value or "")
    try:
        return stdnum_siret.validate(compact)
    except ValidationError as exc:
        raise SettingsRefused(
            {
                "siret": "SIRET invalide : 14 chiffres dont la clé de contrôle est juste "
                "(voir l'avis de situation INSEE)."
            }
        ) from exc


def _siret_taken(session: Session, siret: str, org: Organisation | None) -> bool:
    statement = select(func.count()).select_from(Organisation).where(Organisation.siret == siret)
    if org is not None:
        statement = statement.where(Organisation.id != org.id)
    return bool(session.scalar(statement))


def _text_errors(values: dict, errors: dict) -> dict:
    cleaned = {}
    for field, (label, limit) in TEXT_FIELDS.items():
        if field not in values:
            continue
        text = (values[field] or "").replace("\r\n", "\n").strip()
        if forbidden_character(text, multiline=field in MULTILINE):
            errors[field] = f"« {label} » contient un caractère interdit (caractère de contrôle)."
        elif field in REQUIRED and not text:
            errors[field] = f"« {label} » est obligatoire."
        elif len(text) > limit:
            errors[field] = f"« {label} » : {limit} caractères au plus."
        else:
            cleaned[field] = text
    return cleaned


def _number_errors(values: dict, errors: dict) -> dict:
    cleaned = {}
    for field, (label, low, high) in NUMBER_FIELDS.items():
        if field not in values:
            continue
        raw = str(values[field]).strip()
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
            errors[field] = f"« {label} » : un nombre entier entre {low} et {high}."
        else:
            cleaned[field] = int(raw)
    return cleaned


def _vat_errors(values: dict, errors: dict) -> dict:
    """Training is VAT-exempt for most OF (CGI art. 261-4-4°); the others give a rate."""
    if "vat_exempt" not in values:
        return {}
    if values["vat_exempt"]:
        return {"vat_exempt": True, "vat_rate": Decimal("0")}
    try:
        rate = Decimal(str(values.get("vat_rate", "")).strip().replace(",", "."))
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or not Decimal("0") < rate <= Decimal("30"):
        errors["vat_rate"] = "Taux de TVA : un pourcentage entre 0 et 30 (par exemple 20)."
        return {}
    return {"vat_exempt": False, "vat_rate": rate.quantize(Decimal("0.01"))}


def check_settings(session: Session, org: Organisation | None, values: dict) -> dict:
    """The cleaned values of the fields given, or ``SettingsRefused`` naming every field at
    fault; nothing is written here."""
    errors: dict[str, str] = {}
    cleaned = _text_errors(values, errors)
    if "siret" in values:
        try:
            siret = normalise_siret(values["siret"])
        except SettingsRefused as refused:
            errors.update(refused.details["fields"])
        else:
            if _siret_taken(session, siret, org):
                errors["siret"] = "Un organisme avec ce SIRET existe déjà."
            else:
                cleaned["siret"] = siret
    cleaned |= _number_errors(values, errors)
    cleaned |= _vat_errors(values, errors)
    if errors:
        raise SettingsRefused(errors)
    return cleaned


def update_settings(
    session: Session, org: Organisation, values: dict, images: dict[str, bytes] | None = None
) -> Organisation:
    """All or nothing: one field (or image) refused and none is saved. ``images`` maps
    ``stamp`` / ``signature`` to an uploaded file's bytes."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    try:
        cleaned = check_settings(session, org, values)
    except SettingsRefused as refused:
        errors.update(refused.details["fields"])
    for kind, content in (images or {}).items():
        try:
            cleaned[IMAGES[kind]] = image_png(kind, content)
        except SettingsRefused as refused:
            errors.update(refused.details["fields"])
    if errors:
        raise SettingsRefused(errors)
    for field, value in cleaned.items():
        setattr(org, field, value)
    session.flush()
    return org


def create_organisation(session: Session, name: str, siret: str, address: str = "") -> Organisation:
    """A new tenant (``attendance create-organisation``), with the default settings."""
    cleaned = check_settings(session, None, {"name": name, "siret": siret, "address": address})
    org = Organisation(**cleaned)
    session.add(org)
    session.flush()
    return org


def _image_refused(kind: str, message: str) -> SettingsRefused:
    return SettingsRefused({kind: f"{IMAGE_LABELS[kind]} : {message}"})


def image_png(kind: str, content: bytes) -> bytes:
    """A PNG or JPEG upload, judged by its content (not its name), re-encoded as a PNG of
    at most ``STORED_SIDE`` pixels: what every document embeds."""
    if not content:
        raise _image_refused(kind, "aucun fichier reçu.")
    if len(content) > MAX_IMAGE_BYTES:
        limit = MAX_IMAGE_BYTES // (1024 * 1024)
        raise _image_refused(kind, f"fichier trop lourd ({limit} Mo au plus).")
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in ("PNG", "JPEG") or max(image.size) > MAX_IMAGE_SIDE:
                raise _image_refused(kind, "le fichier n'est pas une image PNG ou JPEG.")
            image.load()
            converted = image.convert("RGBA")
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise _image_refused(kind, "le fichier n'est pas une image PNG ou JPEG.") from exc
    converted.thumbnail((STORED_SIDE, STORED_SIDE))
    buffer = io.BytesIO()
    converted.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def set_image(session: Session, org: Organisation, kind: str, content: bytes) -> None:
    """The stamp or the signature the certificates, attestations and invoices carry."""
    setattr(org, IMAGES[kind], image_png(kind, content))
    session.flush()


def remove_image(session: Session, org: Organisation, kind: str) -> None:
    setattr(org, IMAGES[kind], None)
    session.flush()
