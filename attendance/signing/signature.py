"""Signature images drawn on the phone: decoded, size-limited and checked to be a real PNG.

A signature is evidence (simple electronic signature: who, what, when, integrity), so what
is stored must be a small PNG that opens, not arbitrary bytes. Every sign-in pays for this
check, so the structure (chunks, CRCs, IHDR size) is read without decoding, and the image
is decompressed only up to its first ink; Pillow decodes it in full only when that cannot
decide (another colour type, or an invisible first pixel).
"""

import base64
import binascii
import io
import struct
import zlib

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
    header = _png_header(data)
    if header is None:
        raise _not_png()
    blank = _blank_fast(data, header)
    if blank is None:
        blank = _blank_decoded(data)
    if blank:
        raise DomainError(
            "SIGNATURE_EMPTY", "La signature est vide : signez dans le cadre.", status=422
        )
    return data


def _png_header(data: bytes) -> tuple[int, int, int, int, int] | None:
    """(width, height, bit depth, colour type, interlace) of a well-formed PNG: magic bytes,
    IHDR first, every chunk's CRC right, IDAT present, IEND last. Cheap (no decoding)."""
    if not data.startswith(PNG_MAGIC):
        return None
    position, header, has_data = len(PNG_MAGIC), None, False
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            return None
        body = data[position + 8 : end - 4]
        if zlib.crc32(kind + body) != struct.unpack_from(">I", data, end - 4)[0]:
            return None
        if header is None:
            if kind != b"IHDR" or length != 13:
                return None
            header = struct.unpack(">IIBBBBB", body)
            width, height = header[0], header[1]
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                return None
        has_data = has_data or kind == b"IDAT"
        position = end
        if kind == b"IEND":
            break
    if header is None or not has_data or kind != b"IEND":
        return None
    width, height, depth, colour, _compression, _filter, interlace = header
    return width, height, depth, colour, interlace


def _blank_fast(data: bytes, header: tuple[int, int, int, int, int]) -> bool | None:
    """Blank or not for the signature pad's own output (8-bit RGBA, not interlaced),
    decompressing only up to the first ink: None when it cannot tell (then decode fully).

    Scanlines are filtered, but every filter predicts a byte from bytes *before* it (left,
    above, upper-left). While all bytes so far are zero, every reconstructed pixel is zero,
    so the first pixel holding a non-zero byte is reconstructed exactly by its raw bytes: an
    alpha above zero there proves ink. All pixel bytes zero means fully transparent."""
    width, height, depth, colour, interlace = header
    if (depth, colour, interlace) != (8, 6, 0):
        return None
    stride = 1 + width * 4
    expected = stride * height
    inflater = zlib.decompressobj()
    chunks = _idat(data)
    done, pending = 0, b""
    try:
        for chunk in chunks:
            while chunk:
                pending += inflater.decompress(chunk, 16384)
                chunk = inflater.unconsumed_tail
                if done + len(pending) > expected:
                    return None  # more data than the image holds
                whole = len(pending) - len(pending) % stride
                for row in range(0, whole, stride):
                    pixels = pending[row + 1 : row + stride]
                    if pixels.count(0) != len(pixels):
                        first = next(i for i, byte in enumerate(pixels) if byte) // 4 * 4
                        return None if pixels[first + 3] == 0 else False
                done += whole
                pending = pending[whole:]
        pending += inflater.flush()
    except zlib.error:
        return None
    if done + len(pending) != expected or pending:
        return None  # let the full decoder judge a truncated or padded image
    return True


def _idat(data: bytes):
    position = len(PNG_MAGIC)
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        if data[position + 4 : position + 8] == b"IDAT":
            yield data[position + 8 : position + 8 + length]
        position += 12 + length


def _blank_decoded(data: bytes) -> bool:
    """Full decode with Pillow, for any PNG the fast path cannot judge."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or max(image.size) > MAX_SIDE:
                raise _not_png()
            image.load()
            return _is_blank(image)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise _not_png() from exc


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
