"""A trainee's phone invitation sent by e-mail: the same invitation as the printed sheet and
the API's link, delivered through the notification channel."""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from attendance.clock import display
from attendance.errors import DomainError
from attendance.models import Invitation, Organisation, Trainee, User
from attendance.notify.channels import Channel, Message
from attendance.signing.devices import create_invitation, phone_overview


def invitation_message(org: Organisation, trainee: Trainee, url: str, invitation) -> Message:
    expires = display(invitation.expires_at, "%d/%m/%Y")
    return Message(
        trainee.email,
        f"Émargement : enregistrez votre téléphone — {org.name}",
        f"Bonjour {trainee.first_name},\n\n"
        f"{org.name} vous invite à signer vos présences en formation depuis votre téléphone.\n"
        "Ouvrez ce lien sur le téléphone que vous apporterez en formation, puis touchez "
        "« Enregistrer ce téléphone » :\n\n"
        f"{url}\n\n"
        f"Le lien sert une seule fois et reste valable jusqu'au {expires}. "
        "Ne le transférez à personne : il lie votre téléphone à votre nom.\n"
        "Si vous changez de téléphone, demandez un nouveau lien à l'organisme.\n\n"
        f"{org.name}\n",
    )


def email_invitation(
    session: Session,
    org: Organisation,
    trainee: Trainee,
    user: User | None,
    channel: Channel,
    link_for: Callable[[str], str],
) -> Invitation:
    """Create the invitation and send it to the trainee's address. A failed send raises, so
    the request rolls back and no invitation is left pending that nobody received."""
    if not trainee.email:
        raise DomainError(
            "TRAINEE_WITHOUT_EMAIL",
            "Ce stagiaire n'a pas d'adresse e-mail : ajoutez-la sur sa fiche, ou imprimez "
            "l'invitation et remettez-la-lui.",
            status=422,
        )
    invitation, token = create_invitation(session, org, trainee, user, email=trainee.email)
    try:
        channel.send(invitation_message(org, trainee, link_for(token), invitation))
    except OSError as exc:
        raise DomainError(
            "EMAIL_NOT_SENT",
            "L'e-mail n'a pas pu partir (serveur d'envoi injoignable) : réessayez plus tard, "
            "ou imprimez l'invitation.",
            status=503,
        ) from exc
    return invitation


@dataclass
class InvitationRun:
    sent: list[str] = field(default_factory=list)
    without_email: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def email_missing_invitations(
    session: Session,
    org: Organisation,
    purchase_order_id: int,
    user: User | None,
    channel: Channel,
    link_for: Callable[[str], str],
) -> InvitationRun:
    """Before a first session: an invitation to each trainee of the BDC with neither a bound
    phone nor an invitation waiting. Each one is sent inside a savepoint, so a send that
    fails leaves no invitation behind while those already sent (with a working link) stay."""
    run = InvitationRun()
    for line in phone_overview(session, org, purchase_order_id):
        if line.bound_at is not None or line.pending_until is not None:
            continue
        if not line.email:
            run.without_email.append(line.name)
            continue
        trainee = session.get(Trainee, line.trainee_id)
        try:
            with session.begin_nested():
                email_invitation(session, org, trainee, user, channel, link_for)
        except DomainError:
            run.failed.append(line.name)
        else:
            run.sent.append(line.name)
    return run
