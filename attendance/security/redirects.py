"""Where the login may send the browser next: a path of this site, nothing else."""

import unicodedata
from urllib.parse import unquote, urlsplit

_DECODINGS = 3  # a target still changing after this many percent-decodings is refused


def _unsafe(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//"):
        return True
    if any(c == "\\" or c.isspace() or unicodedata.category(c)[0] == "C" for c in text):
        return True
    parts = urlsplit(text)
    return bool(parts.scheme or parts.netloc)


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path of this site, else None (the caller goes home).

    Browsers are lenient with a Location: they drop tabs and newlines, read ``\\`` as
    ``/`` and ``//host`` as another site, so ``/<tab>/evil.com`` lands on evil.com. Nothing
    is cleaned here, a target that would need cleaning is refused: one leading ``/``, no
    scheme or host, no backslash, whitespace or control character, as given and after each
    percent-decoding."""
    if not target:
        return None
    text = target
    for _ in range(_DECODINGS):
        if _unsafe(text):
            return None
        decoded = unquote(text)
        if decoded == text:
            return target
        text = decoded
    return None
