"""Signature images drawn on the phone: decoded, size-limited and checked to be a real PNG.

A signature is evidence (simple electronic signature: who, what, when, integrity), so what
is stored must be a small PNG that opens, not arbitrary bytes.
"""

import base64
import binascii
import io

from flask import current_app
from PIL import Image, UnidentifiedImageError

from attendance.errors import DomainError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 2000


def _not_png() -> DomainError:
    return DomainError(
        "SIGNATURE_NOT_PNG",
        "La signature doit être une image PNG dessinée dans la zone prévue : signez à nouveau.",
        status=422,
    )


def decode_signature(value: str | None) -> bytes:
    """PNG bytes from a data URL (``data:image/png;base64,…``) or bare base64."""
    limit = int(current_app.config.get("SIGNATURE_MAX_BYTES", 100_000))
    if not value or not isinstance(value, str):
        raise DomainError("SIGNATURE_MISSING", "Signez dans le cadre avant de valider.", status=422)
    header, comma, body = value.partition(",")
    if comma:
        if header != "data:image/png;base64":
            raise _not_png()
    else:
        body = header
    # base64 is 4/3 of the bytes: refuse before decoding anything large.
    if len(body) > limit * 4 // 3 + 4:
        raise _too_large(limit)
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _not_png() from exc
    if len(data) > limit:
        raise _too_large(limit)
    if not data.startswith(PNG_MAGIC):
        raise _not_png()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or max(image.size) > MAX_SIDE:
                raise _not_png()
            image.load()
            blank = _is_blank(image)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise _not_png() from exc
    if blank:
        raise DomainError(
            "SIGNATURE_EMPTY", "La signature est vide : signez dans le cadre.", status=422
        )
    return data


def _too_large(limit: int) -> DomainError:
    return DomainError(
        "SIGNATURE_TOO_LARGE",
        f"Image de signature trop lourde (plus de {limit // 1000} ko) : "
        "effacez et signez à nouveau.",
        {"max_bytes": limit},
        status=413,
    )


def _is_blank(image: Image.Image) -> bool:
    """No ink: fully transparent, or a single uniform colour."""
    if "A" in image.getbands():
        return image.getchannel("A").getbbox() is None
    extrema = image.convert("L").getextrema()
    return extrema[0] == extrema[1]
