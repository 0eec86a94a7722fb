"""The zip handed to a trainee who asks for everything held about them (GDPR art. 15, 20)."""

import io
import json
import zipfile

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.errors import DomainError
from attendance.models import Emargement, Organisation, Trainee
from attendance.privacy.subject import trainee_data
from reports.certificates import certificate_for_trainee, today_local
from reports.period import Period


def trainee_archive(session: Session, org: Organisation, trainee_id: int) -> bytes:
    """The zip handed to the trainee: the JSON, each signature image, the certificate of
    realisation over their whole training (R13), when there are hours to certify."""
    data = trainee_data(session, org, trainee_id)
    trainee = session.get(Trainee, trainee_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "donnees.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        )
        for e in session.scalars(
            select(Emargement).where(
                Emargement.trainee_id == trainee_id, Emargement.signature_png.is_not(None)
            )
        ):
            archive.writestr(f"signatures/emargement-{e.id}.png", e.signature_png)
        if trainee.pathways:
            period = Period.of_training(trainee.pathways, today_local())
            try:
                pdf = certificate_for_trainee(session, org, trainee, period)
            except DomainError as error:
                if error.code != "NOTHING_TO_CERTIFY":
                    raise
            else:
                archive.writestr("documents/certificat-de-realisation.pdf", pdf)
    return buffer.getvalue()
