"""Import trainees and pathways from an xlsx or CSV list: all or nothing, errors per row.

Rows go through the same operations as the API, so every rule (R1, R2, R6, R8, R10, R15)
applies; each row runs in a savepoint so one bad row does not distort the checks of the
next, and any error rolls the whole file back.
"""

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.contract.pathways import create_pathway
from attendance.contract.trainees import create_trainee
from attendance.errors import Conflict, DomainError
from attendance.models import Composante, Organisation, PurchaseOrder, Trainee, User
from attendance.text import describe_character, forbidden_character

MAX_LINES = 20_000  # lines under the header, blank ones included
MAX_COLUMNS = 50  # the template has 14; a few added columns are tolerated, not 16,384
MAX_UNZIPPED_BYTES = 50_000_000

# normalised header -> (field, required)
COLUMNS = {
    "nom": ("last_name", True),
    "prenom": ("first_name", True),
    "date de naissance": ("birth_date", False),
    "e-mail": ("email", False),
    "email": ("email", False),
    "telephone": ("phone", False),
    "identifiant": ("external_id", False),
    "boe": ("boe", True),
    "aah": ("aah", True),
    "bdc": ("bdc", True),
    "composante": ("composante", True),
    "date d'entree": ("entry_date", True),
    "date de sortie prevue": ("planned_exit_date", True),
    "heures centre": ("prescribed_centre_minutes", True),
    "heures entreprise": ("prescribed_company_minutes", False),
}
TEMPLATE_HEADERS = [
    "Nom",
    "Prénom",
    "Date de naissance",
    "E-mail",
    "Téléphone",
    "Identifiant",
    "BOE",
    "AAH",
    "BDC",
    "Composante",
    "Date d'entrée",
    "Date de sortie prévue",
    "Heures centre",
    "Heures entreprise",
]
_TRUE = {"oui", "o", "x", "1", "vrai", "true", "yes"}
_FALSE = {"non", "n", "", "0", "faux", "false", "no"}


class RowError(ValueError):
    """A row the file itself gets wrong; ``column`` names the template column to fix."""

    def __init__(self, message: str, column: str | None = None):
        super().__init__(message)
        self.column = column


# The template column a rule's refusal points at, so the page can say where to look.
COLUMN_OF_CODE = {
    "R1_PATHWAY_HOURS_EXCEEDED": "Heures centre",
    "R2_COMPANY_HOURS_EXCEEDED": "Heures entreprise",
    "R10_CONTRACTED_VOLUME_EXCEEDED": "Heures centre",
    "NEGATIVE_HOURS": "Heures centre",
    "R6_ENTRY_YEAR": "Date d'entrée",
    "ENTRY_OUTSIDE_BDC": "Date d'entrée",
    "MONTH_VALIDATED": "Date d'entrée",
    "EXIT_AFTER_BDC_END": "Date de sortie prévue",
    "EXIT_BEFORE_ENTRY": "Date de sortie prévue",
    "R15_BOE_AAH_INCONSISTENT": "AAH",
    "PATHWAY_EXISTS": "Composante",
}


def _normalise(header) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("’", "'").split())


def read_rows(filename: str, content: bytes) -> list[tuple[int, dict]]:
    """(line, {normalised header: raw value}) for each non-blank row, from xlsx or CSV
    (UTF-8 or Windows-1252). Rows are read lazily, whatever size the sheet declares, and
    reading stops past ``MAX_LINES``: the file's real content bounds the work."""
    # The content decides, not the name: an xlsx is a zip (PK\x03\x04); a CSV is text.
    if content[:4] == b"PK\x03\x04":
        return _xlsx_rows(content)
    if filename.lower().endswith(".xlsx") or b"\x00" in content[:4096]:
        raise DomainError(
            "IMPORT_UNREADABLE",
            "Le fichier n'est ni un classeur xlsx ni un CSV : exportez-le depuis le modèle.",
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=";,\t")
    except csv.Error:  # one column, or not a table at all: the header check says which
        dialect = None
    try:
        return _rows(csv.reader(io.StringIO(text), dialect or csv.excel))
    except csv.Error as exc:  # a field longer than the csv module accepts, say
        raise DomainError("IMPORT_UNREADABLE", "Le fichier CSV est illisible.") from exc


def _unreadable_xlsx() -> DomainError:
    return DomainError("IMPORT_UNREADABLE", "Le fichier xlsx est illisible.")


def _xlsx_rows(content: bytes) -> list[tuple[int, dict]]:
    """A sheet's ``<dimension>`` is the writer's claim, not its content: it is reset, rows
    are read lazily up to ``MAX_COLUMNS`` cells, and the unzipped size is checked first
    (each member's declared size, which the zip reader then enforces)."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _unreadable_xlsx() from exc
    if unzipped > MAX_UNZIPPED_BYTES:
        raise DomainError(
            "IMPORT_TOO_LARGE",
            f"Le classeur décompressé dépasse {MAX_UNZIPPED_BYTES // 1_000_000} Mo : "
            "importez un fichier plus petit, tiré du modèle.",
            {"max_bytes": MAX_UNZIPPED_BYTES},
            status=422,
        )
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _unreadable_xlsx() from exc
    try:
        sheet = book.active
        if sheet is None:
            raise _unreadable_xlsx()
        sheet.reset_dimensions()
        return _rows(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
    except DomainError:
        raise
    except Exception as exc:  # damaged XML found while reading the rows
        raise _unreadable_xlsx() from exc
    finally:
        book.close()


def _rows(lines: Iterator) -> list[tuple[int, dict]]:
    """The header checked, then each non-blank line by its number (the header is line 1);
    refused past ``MAX_LINES`` lines, blank ones included, before any row is imported."""
    header = next(lines, None)
    if header is None:
        raise DomainError("IMPORT_EMPTY", "Le fichier est vide.")
    headers = [_normalise(h) for h in header]
    missing = [name for name, (_, required) in COLUMNS.items() if required and name not in headers]
    if missing:
        raise DomainError(
            "IMPORT_MISSING_COLUMNS",
            "Colonnes manquantes : " + ", ".join(missing) + ". Utilisez l'en-tête du modèle.",
            {"missing": missing, "expected": TEMPLATE_HEADERS},
        )
    rows = []
    for line, raw in enumerate(lines, start=2):
        if line > MAX_LINES + 1:
            raise DomainError(
                "IMPORT_TOO_MANY_LINES",
                f"Le fichier dépasse {MAX_LINES:,} lignes".replace(",", " ")
                + " : découpez-le en plusieurs fichiers (lignes vides comprises).",
                {"max_lines": MAX_LINES},
                status=422,
            )
        if raw is None or all(v in (None, "") for v in raw):
            continue
        rows.append((line, {h: v for h, v in zip(headers, raw, strict=False) if h in COLUMNS}))
    return rows


def _date(value, label: str, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            raise RowError(f"{label} manquante", label)
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowError(f"{label} invalide « {text} » (attendu JJ/MM/AAAA)", label)


def _bool(value, label: str) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(f"{label} : répondez oui ou non (« {value} » lu)", label)


def _minutes(value, label: str, required: bool) -> int:
    if value in (None, ""):
        if required:
            raise RowError(f"{label} manquantes", label)
        return 0
    try:
        hours = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation as exc:
        raise RowError(f"{label} : nombre d'heures invalide « {value} »", label) from exc
    if hours < 0:
        raise RowError(f"{label} : nombre d'heures négatif", label)
    return int((hours * 60).to_integral_value(ROUND_HALF_UP))


def _text(value, label: str, required: bool) -> str | None:
    text = "" if value is None else str(value).strip()
    character = forbidden_character(text)
    if character is not None:
        raise RowError(
            f"{label} : caractère interdit ({describe_character(character)}, caractère de "
            "contrôle ou invisible), retirez-le",
            label,
        )
    if not text:
        if required:
            raise RowError(f"{label} manquant", label)
        return None
    return text


def _parse(row: dict) -> tuple[dict, dict, str, str]:
    trainee = {
        "last_name": _text(row.get("nom"), "Nom", True),
        "first_name": _text(row.get("prenom"), "Prénom", True),
        "birth_date": _date(row.get("date de naissance"), "Date de naissance", False),
        "email": _text(row.get("e-mail", row.get("email")), "E-mail", False),
        "phone": _text(row.get("telephone"), "Téléphone", False),
        "external_id": _text(row.get("identifiant"), "Identifiant", False),
        "boe": _bool(row.get("boe"), "BOE"),
        "aah": _bool(row.get("aah"), "AAH"),
    }
    if trainee["email"] and "@" not in trainee["email"]:
        raise RowError(f"E-mail invalide « {trainee['email']} »", "E-mail")
    pathway = {
        "entry_date": _date(row.get("date d'entree"), "Date d'entrée", True),
        "planned_exit_date": _date(row.get("date de sortie prevue"), "Date de sortie prévue", True),
        "prescribed_centre_minutes": _minutes(row.get("heures centre"), "Heures centre", True),
        "prescribed_company_minutes": _minutes(
            row.get("heures entreprise"), "Heures entreprise", False
        ),
    }
    bdc = _text(row.get("bdc"), "Numéro de BDC", True)
    composante = _text(row.get("composante"), "Code composante", True)
    return trainee, pathway, bdc, composante


def _find_trainee(session: Session, org: Organisation, data: dict) -> Trainee | None:
    statement = select(Trainee).where(Trainee.organisation_id == org.id)
    if data["external_id"]:
        found = session.scalar(statement.where(Trainee.external_id == data["external_id"]))
        if found:
            return found
    if data["email"]:
        found = session.scalar(statement.where(Trainee.email == data["email"]))
        if found:
            return found
    return session.scalar(
        statement.where(
            Trainee.last_name == data["last_name"],
            Trainee.first_name == data["first_name"],
            Trainee.birth_date == data["birth_date"],
        )
    )


def _rejected(errors: list[dict], locked: list[tuple[int, DomainError]]) -> DomainError:
    """All or nothing. A row that would change a validated month (R11) makes the refusal a
    409 MONTH_VALIDATED naming the first such row and month: the file can go in only once
    that row is corrected or the month reopened."""
    if locked:
        line, refusal = locked[0]
        return Conflict(
            "MONTH_VALIDATED",
            f"Ligne {line} : {refusal.message} Le fichier est refusé en entier : rien n'a été "
            f"importé ({len(errors)} ligne(s) en erreur).",
            {**refusal.details, "errors": errors},
        )
    return DomainError(
        "IMPORT_REJECTED",
        f"{len(errors)} ligne(s) en erreur : rien n'a été importé. Corrigez le fichier et "
        "importez-le de nouveau.",
        {"errors": errors},
        status=422,
    )


def import_file(
    session: Session,
    org: Organisation,
    filename: str,
    content: bytes,
    actor: User | None = None,
    progress=None,
) -> dict:
    rows = read_rows(filename, content)
    composantes = {
        (order_number, code): composante_id
        for order_number, code, composante_id in session.execute(
            select(PurchaseOrder.number, Composante.code, Composante.id)
            .join(Composante)
            .where(PurchaseOrder.organisation_id == org.id)
        )
    }
    errors: list[dict] = []
    locked: list[tuple[int, DomainError]] = []
    counts = {"trainees_created": 0, "trainees_matched": 0, "pathways_created": 0}
    for line, row in rows:
        if progress:
            progress()
        try:
            trainee_data, pathway_data, bdc, code = _parse(row)
            composante_id = composantes.get((bdc, code))
            if composante_id is None:
                raise RowError(
                    f"composante « {code} » introuvable dans le BDC « {bdc} »", "Composante"
                )
        except RowError as exc:
            errors.append({"line": line, "column": exc.column, "message": f"Ligne {line} : {exc}."})
            continue
        savepoint = session.begin_nested()
        try:
            trainee = _find_trainee(session, org, trainee_data)
            if trainee is None:
                trainee = create_trainee(session, org, trainee_data)
                counts["trainees_created"] += 1
            else:
                counts["trainees_matched"] += 1
            create_pathway(
                session,
                org,
                {"trainee_id": trainee.id, "composante_id": composante_id, **pathway_data},
                actor,
            )
            counts["pathways_created"] += 1
            savepoint.commit()
        except DomainError as exc:
            savepoint.rollback()
            errors.append(
                {
                    "line": line,
                    "column": COLUMN_OF_CODE.get(exc.code),
                    "code": exc.code,
                    "message": f"Ligne {line} : {exc.message}",
                }
            )
            if exc.code == "MONTH_VALIDATED":
                locked.append((line, exc))
    if errors:
        raise _rejected(errors, locked)
    if not any(counts.values()):
        raise DomainError("IMPORT_EMPTY", "Le fichier ne contient aucune ligne à importer.")
    return counts
