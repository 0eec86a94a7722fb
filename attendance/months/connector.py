"""Push a declaration to a configured HTTP endpoint (the Region's system or any other).

The idempotency key (BDC, month, version) goes with every attempt, so a retry after a lost
answer never creates a second declaration on the receiving side. Every attempt and its
outcome is recorded before the next one starts.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from attendance.errors import DomainError
from attendance.models import DeclarationPush, MonthDeclaration
from attendance.models.types import utcnow


@dataclass(frozen=True)
class Endpoint:
    url: str
    token: str | None = None
    timeout_s: float = 10.0
    attempts: int = 4
    backoff_s: float = 1.0  # doubles after each failure


def idempotency_key(declaration: MonthDeclaration) -> str:
    period = declaration.period
    return f"{period.purchase_order.number}:{period.month:%Y-%m}:v{declaration.version}"


def payload(declaration: MonthDeclaration) -> dict:
    period = declaration.period
    return {
        "bdc": period.purchase_order.number,
        "month": f"{period.month:%Y-%m}",
        "version": declaration.version,
        "checksum": declaration.checksum,
        "totals": declaration.totals,
        "rows": declaration.rows,
    }


def _send_once(endpoint: Endpoint, key: str, body: bytes) -> int:
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    if endpoint.token:
        headers["Authorization"] = f"Bearer {endpoint.token}"
    request = urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=endpoint.timeout_s) as response:
        return response.status


def push_declaration(
    session: Session,
    declaration: MonthDeclaration,
    endpoint: Endpoint,
    sleep: Callable[[float], None] = time.sleep,
) -> DeclarationPush:
    """Send with retries and exponential back-off; commit each attempt as it ends so the
    record survives a crash of this process."""
    key = idempotency_key(declaration)
    body = json.dumps(payload(declaration), ensure_ascii=False, default=str).encode()
    delay = endpoint.backoff_s
    attempt_record = None
    for attempt in range(1, endpoint.attempts + 1):
        attempt_record = DeclarationPush(
            organisation_id=declaration.organisation_id,
            declaration_id=declaration.id,
            idempotency_key=key,
            attempt=attempt,
            outcome="pending",
        )
        session.add(attempt_record)
        session.commit()
        retry = True
        try:
            status = _send_once(endpoint, key, body)
            attempt_record.http_status = status
            attempt_record.outcome = "success"
            retry = False
        except urllib.error.HTTPError as exc:
            attempt_record.http_status = exc.code
            attempt_record.outcome = "http_error"
            attempt_record.detail = exc.read(2000).decode("utf-8", "replace")
            # A 4xx other than 408/429 will not succeed by trying again.
            retry = exc.code >= 500 or exc.code in (408, 429)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            attempt_record.outcome = "network_error"
            attempt_record.detail = str(getattr(exc, "reason", exc))[:2000]
        attempt_record.finished_at = utcnow()
        session.commit()
        if not retry or attempt == endpoint.attempts:
            break
        sleep(delay)
        delay *= 2
    if attempt_record.outcome != "success":
        raise DomainError(
            "DECLARATION_PUSH_FAILED",
            f"L'envoi de la déclaration a échoué après {attempt_record.attempt} tentative(s) "
            f"({attempt_record.outcome}, {attempt_record.http_status or 'sans réponse'}). "
            "Le fichier reste téléchargeable ; réessayez plus tard.",
            {"attempts": attempt_record.attempt, "idempotency_key": key},
            status=502,
        )
    return attempt_record
