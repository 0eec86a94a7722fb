"""QR codes as inline SVG: sharp at any size, so one code fills a projector screen."""

import re

import qrcode
import qrcode.constants
import qrcode.image.svg


def make_qr(data: str) -> qrcode.QRCode:
    """The smallest QR code holding ``data`` at error correction M: robust enough for a
    projector seen from the back of a room, while keeping the grid coarse (a slot's short
    URL fits version 4 or 5, 33×33 or 37×37 modules)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> str:
    """An SVG that scales to its container (no fixed millimetre size), black on white."""
    code = make_qr(data)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(
        r'^<svg width="[^"]+" height="[^"]+"',
        '<svg role="img" aria-label="QR code" shape-rendering="crispEdges"',
        svg,
        count=1,
    )
    # A white background so dark projector themes do not swallow the quiet zone.
    return svg.replace(">", '><rect width="100%" height="100%" fill="#fff"/>', 1)
