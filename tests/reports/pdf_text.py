"""Read back what a PDF says, as a reader (or a controller) would: pypdf text extraction."""

import io
import re

from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    """The text of every page, whitespace collapsed so phrases match across line breaks."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def page_count(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def page_size_mm(content: bytes, index: int = 0) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(content)).pages[index].mediabox
    return round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)
