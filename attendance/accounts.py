"""Staff accounts, passwords, sessions, API tokens and what each role may do."""

import hashlib
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from attendance.errors import Conflict, DomainError, Forbidden, Unauthorized
from attendance.models import ROLES, ApiToken, Organisation, User
from attendance.models.types import utcnow

# Each role sees and does only its part. Trainers see their own slots and the trainees
# they sign in, not contracts or prices; auditors read everything and change nothing.
PERMISSIONS: dict[str, frozenset[str]] = {
    "contract:read": frozenset({"admin", "billing", "auditor"}),
    "contract:write": frozenset({"admin", "billing"}),
    "trainee:read": frozenset({"admin", "billing", "auditor", "trainer"}),
    "trainee:write": frozenset({"admin", "billing"}),
    "slot:read": frozenset({"admin", "billing", "auditor", "trainer"}),
    "slot:read_all": frozenset({"admin", "billing", "auditor"}),
    "slot:write": frozenset({"admin", "billing"}),
    "import": frozenset({"admin", "billing"}),
    # R14: trainers enter evaluation results and skills (only for composantes they teach).
    "competence:write": frozenset({"admin", "billing", "trainer"}),
    "user:manage": frozenset({"admin"}),
}

MIN_PASSWORD_LENGTH = 10
# Verified against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-for-timing")


def can(user: User, permission: str) -> bool:
    return user.role in PERMISSIONS[permission]


def require(user: User, permission: str) -> None:
    if not can(user, permission):
        raise Forbidden()


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt by default in Werkzeug 3


def _check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "PASSWORD_TOO_SHORT",
            f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.",
        )


def create_user(
    session: Session, org: Organisation, email: str, full_name: str, role: str, password: str
) -> User:
    email = email.strip().lower()
    if role not in ROLES:
        raise DomainError(
            "INVALID_ROLE", f"Rôle inconnu : choisissez parmi {', '.join(ROLES)}.", {"role": role}
        )
    _check_strength(password)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict("EMAIL_TAKEN", "Un compte existe déjà avec cette adresse e-mail.")
    user = User(
        organisation_id=org.id,
        email=email,
        full_name=full_name,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        raise Unauthorized("Adresse e-mail ou mot de passe incorrect.")
    return user


def verify_password(user: User, password: str) -> None:
    """The person at the keyboard knows ``user``'s current password (before changing it)."""
    if not check_password_hash(user.password_hash, password):
        raise Unauthorized("Mot de passe actuel incorrect.")


def change_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password and end every session and API token issued before it: whoever
    learnt the old password, or copied a cookie or a token, is out."""
    _check_strength(new_password)
    user.password_hash = hash_password(new_password)
    end_sessions(session, user)
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )


def end_sessions(session: Session, user: User) -> None:
    """Every session cookie of ``user`` issued so far stops opening pages (logout, password
    change): the version it carries no longer matches. Raised in SQL, so two logouts at
    once both count."""
    user.session_version = User.session_version + 1
    session.flush()


def user_for_session(session: Session, user_id, session_version) -> User | None:
    """The user a session cookie stands for, or None when the cookie was ended (logout,
    password change) or the account deactivated since."""
    if not isinstance(user_id, int) or not isinstance(session_version, int):
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return user


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_api_token(session: Session, user: User, ttl_hours: int) -> tuple[str, ApiToken]:
    raw = "att_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, token_hash=_digest(raw), expires_at=utcnow() + timedelta(hours=ttl_hours)
    )
    session.add(token)
    session.flush()
    return raw, token


def user_for_api_token(session: Session, raw_token: str) -> User:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw_token)))
    if token is None or token.revoked or token.expires_at <= utcnow():
        raise Unauthorized("Jeton d'accès invalide ou expiré : reconnectez-vous.")
    if not token.user.active:
        raise Unauthorized("Ce compte est désactivé.")
    return token.user


CALENDAR_SALT = "planning-ical"


def calendar_token(user: User, secret: str) -> str:
    """A trainer's calendar feed address token: a calendar app sends no cookie. Signed with
    the app secret over the user and their session version, so a password change or a
    logout everywhere revokes every copy of the address."""
    return URLSafeSerializer(secret, salt=CALENDAR_SALT).dumps([user.id, user.session_version])


def user_for_calendar_token(session: Session, token: str, secret: str) -> User:
    try:
        user_id, version = URLSafeSerializer(secret, salt=CALENDAR_SALT).loads(token)
        user = session.get(User, int(user_id))
    except (BadSignature, TypeError, ValueError) as exc:
        raise Unauthorized("Lien d'agenda invalide : recopiez-le depuis la page Planning.") from exc
    if user is None or not user.active or user.session_version != version:
        raise Unauthorized(
            "Lien d'agenda révoqué (mot de passe changé) : recopiez-le depuis la page Planning."
        )
    return user
