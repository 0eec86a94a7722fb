"""Signature images: the cheap structural check and the partial decode that looks for the
first ink agree with a full decode: blank pads are refused whatever their colour, ink is
found wherever it is, and broken or oversized PNGs are refused."""

import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw

from attendance.errors import DomainError
from attendance.signing.signature import decode_signature
from tests.factories import signature_data_url, signature_png


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _code(png: bytes) -> str:
    try:
        decode_signature(signature_data_url(png))
    except DomainError as exc:
        return exc.code
    return "OK"


def _with_point(background, point, size=(300, 120), mode="RGBA"):
    image = Image.new(mode, size, background)
    ImageDraw.Draw(image).point(point, fill=(0, 0, 0, 255) if mode == "RGBA" else "black")
    return _png(image)


@pytest.mark.parametrize(
    "background", [(0, 0, 0, 0), (255, 255, 255, 0)], ids=["cleared", "transparent-white"]
)
def test_blank_pads_are_refused_whatever_their_invisible_colour(app, background):
    assert _code(_png(Image.new("RGBA", (300, 120), background))) == "SIGNATURE_EMPTY"


def test_uniform_opaque_image_is_blank(app):
    assert _code(_png(Image.new("RGB", (300, 120), "white"))) == "SIGNATURE_EMPTY"


@pytest.mark.parametrize(
    ("background", "point", "mode"),
    [
        ((0, 0, 0, 0), (299, 119), "RGBA"),  # the very last pixel
        ((0, 0, 0, 0), (0, 0), "RGBA"),
        ((255, 255, 255, 0), (5, 100), "RGBA"),  # invisible colour first: full decode
        ("white", (150, 60), "RGB"),
    ],
)
def test_a_single_dot_of_ink_anywhere_is_accepted(app, background, point, mode):
    assert _code(_with_point(background, point, mode=mode)) == "OK"


def test_drawn_signature_is_returned_unchanged(app):
    assert decode_signature(signature_data_url()) == signature_png()


def test_corrupted_or_truncated_png_is_refused(app):
    png = bytearray(signature_png())
    png[-20] ^= 0xFF  # inside the image data: the chunk's CRC no longer matches
    assert _code(bytes(png)) == "SIGNATURE_NOT_PNG"
    assert _code(signature_png()[:-30]) == "SIGNATURE_NOT_PNG"


def test_png_declaring_huge_dimensions_is_refused_before_decoding(app):
    png = signature_png()
    body = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 6, 0, 0, 0)
    ihdr = struct.pack(">I", 13) + b"IHDR" + body + struct.pack(">I", zlib.crc32(b"IHDR" + body))
    assert _code(png[:8] + ihdr + png[8 + 25 :]) == "SIGNATURE_NOT_PNG"
