"""Staff accounts, passwords, sessions, API tokens and what each role may do."""

import hashlib
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload
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
    # Absences: the slot's trainer justifies its own; these staff justify any, auditors read.
    "absence:justify": frozenset({"admin", "billing"}),
    "absence:read": frozenset({"admin", "billing", "auditor"}),
    "user:manage": frozenset({"admin"}),
    "organisation:write": frozenset({"admin"}),
}

MIN_PASSWORD_LENGTH = 10
# An invited (or reset) account has no password until its owner chooses one through the
# link: no hash ever matches a value starting with "!".
UNUSABLE_PREFIX = "!"
ACTIVATION_DAYS = 7
_ACTIVATION_SALT = "account-activation"
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


def _unusable_password() -> str:
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def awaits_activation(user: User) -> bool:
    """Invited or reset, and no password chosen yet through the link."""
    return user.password_hash.startswith(UNUSABLE_PREFIX)


def _check_new_account(session: Session, email: str, full_name: str, role: str) -> None:
    if role not in ROLES:
        raise DomainError(
            "INVALID_ROLE", f"Rôle inconnu : choisissez parmi {', '.join(ROLES)}.", {"role": role}
        )
    if "@" not in email.strip("@") or " " in email or len(email) > 254:
        raise DomainError("INVALID_EMAIL", "Adresse e-mail invalide.", {"field": "email"}, 422)
    if not full_name.strip() or len(full_name) > 200:
        raise DomainError("INVALID_NAME", "Le nom est obligatoire (200 caractères au plus).",
                          {"field": "full_name"}, 422)  # fmt: skip
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict("EMAIL_TAKEN", "Un compte existe déjà avec cette adresse e-mail.",
                       {"field": "email"})  # fmt: skip


def create_user(
    session: Session,
    org: Organisation,
    email: str,
    full_name: str,
    role: str,
    password: str | None,
) -> User:
    """A staff account; without a password it awaits activation (``activation_token``)."""
    email = email.strip().lower()
    _check_new_account(session, email, full_name, role)
    if password is not None:
        _check_strength(password)
    user = User(
        organisation_id=org.id,
        email=email,
        full_name=full_name.strip(),
        role=role,
        password_hash=hash_password(password) if password is not None else _unusable_password(),
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
    _revoke_api_tokens(session, user)


def _revoke_api_tokens(session: Session, user: User) -> None:
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
    # Every page reads the organisation too: one statement for both.
    user = session.get(User, user_id, options=[joinedload(User.organisation)])
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


def _fingerprint(user: User) -> str:
    """Changes with the password: a link stops working once it has been used (or the
    password reset again), with no table of used links to keep."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def activation_token(user: User, secret_key: str) -> str:
    """The signed token of the link that lets ``user`` choose a password, valid
    ``ACTIVATION_DAYS`` days and once."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_ACTIVATION_SALT)
    return serializer.dumps([user.id, _fingerprint(user)])


def user_for_activation(session: Session, token: str, secret_key: str) -> User:
    """The account an activation link stands for, or a French refusal (expired, used,
    tampered with, account deactivated)."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_ACTIVATION_SALT)
    try:
        user_id, fingerprint = serializer.loads(token, max_age=ACTIVATION_DAYS * 86400)
    except SignatureExpired as exc:
        raise DomainError(
            "ACTIVATION_EXPIRED",
            "Ce lien a expiré : demandez à un administrateur de vous en envoyer un nouveau.",
            status=410,
        ) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise DomainError("ACTIVATION_INVALID", "Lien invalide.", status=404) from exc
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or fingerprint != _fingerprint(user):
        raise DomainError(
            "ACTIVATION_USED",
            "Ce lien a déjà servi ou a été remplacé : connectez-vous, ou demandez un nouveau "
            "lien à un administrateur.",
            status=410,
        )
    return user


def activate(session: Session, token: str, secret_key: str, password: str) -> User:
    """The owner of the link chooses their password; the link is spent."""
    user = user_for_activation(session, token, secret_key)
    change_password(session, user, password)
    return user


def reset_password(session: Session, user: User) -> None:
    """An administrator's reset: the old password stops working at once, with every session
    and API token; the owner chooses a new one through a fresh link."""
    user.password_hash = _unusable_password()
    end_sessions(session, user)
    _revoke_api_tokens(session, user)


def _active_admins(session: Session, org_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.organisation_id == org_id, User.role == "admin", User.active.is_(True))
    )


def deactivate_user(session: Session, by: User, user: User) -> None:
    """The account can no longer log in; its sessions and API tokens end now. An admin
    cannot lock themselves out, nor leave the organisation without an active admin."""
    if user.id == by.id:
        raise Conflict("SELF_DEACTIVATION", "Vous ne pouvez pas désactiver votre propre compte.")
    if user.role == "admin" and user.active and _active_admins(session, user.organisation_id) <= 1:
        raise Conflict(
            "LAST_ADMIN", "C'est le dernier administrateur actif : nommez-en un autre d'abord."
        )
    user.active = False
    end_sessions(session, user)
    _revoke_api_tokens(session, user)


def reactivate_user(session: Session, user: User) -> None:
    user.active = True
    session.flush()


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
