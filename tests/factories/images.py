"""Small real PNG images: drawn signatures and one-colour stamps."""

import base64
import io
import struct
import zlib

from PIL import Image, ImageDraw


def tiny_png(rgb=(0, 0, 0), size=(40, 16)) -> bytes:
    """A valid PNG of one colour, written by hand (no imaging library needed)."""
    width, height = size
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def signature_png(width: int = 300, height: int = 120) -> bytes:
    """A signature stroke on a transparent background, as the signing pad sends it."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (160, 90), (280, 30)], fill="#102a5c", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def signature_data_url(png: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(png or signature_png()).decode()


def tiny_pdf() -> bytes:
    """A real one-page PDF (blank A4), as a scanned certificate would be sent."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
