"""The e-mail that lets a staff member choose their password: sent on invitation and on an
administrator's reset, through the same channel as the reminders."""

from attendance.accounts import ACTIVATION_DAYS
from attendance.models import User
from attendance.notify.channels import Message

ROLE_LABELS = {
    "admin": "administrateur",
    "billing": "facturation",
    "trainer": "formateur",
    "auditor": "auditeur",
}


def activation_message(user: User, link: str, reset: bool = False) -> Message:
    org = user.organisation
    if reset:
        subject = f"{org.name} : choisissez un nouveau mot de passe"
        opening = "Un administrateur a réinitialisé votre mot de passe d'émargement."
    else:
        subject = f"{org.name} : votre compte d'émargement"
        opening = (
            f"Un compte {ROLE_LABELS[user.role]} a été créé pour vous chez {org.name} "
            f"({user.email})."
        )
    body = (
        f"Bonjour {user.full_name},\n\n{opening}\n\n"
        f"Choisissez votre mot de passe (au moins 10 caractères) en ouvrant ce lien :\n{link}\n\n"
        f"Le lien sert une seule fois et expire dans {ACTIVATION_DAYS} jours.\n"
        "Si vous n'attendiez pas ce message, ignorez-le.\n"
    )
    return Message(to=user.email, subject=subject, body=body)
