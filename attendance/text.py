"""What stored text may hold, wherever it comes in (API, pages, imports).

A NUL cannot be stored by PostgreSQL, a lone surrogate cannot be encoded at all, and the
other control characters are refused by the xlsx writer; none of them belongs in a name, a
code or a reason. So they are refused at the door with a French message naming the field
and the character, and a multi-line text keeps only its tab and line breaks.
"""

import re

from attendance.errors import DomainError

# C0 controls, DEL, C1 controls, lone surrogates and the two non-characters XML refuses.
_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def forbidden_character(text: str, multiline: bool = False) -> str | None:
    """The first character ``text`` may not hold, or None."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    return found.group() if found else None


def lone_surrogate(value, path: str = "") -> tuple[str, str] | None:
    """(where, character) of the first lone surrogate in a decoded JSON value, or None. A
    surrogate can be written in JSON (``"\\ud800"``) but not encoded as UTF-8, so nothing
    downstream (a database driver, a hash, a log) can take it."""
    if isinstance(value, str):
        found = _SURROGATE.search(value)
        return (path, found.group()) if found else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        found = lone_surrogate(key, where) if isinstance(key, str) else None
        found = found or lone_surrogate(item, where)
        if found:
            return found
    return None


def describe_character(character: str) -> str:
    """« U+000B » : how a person can find an invisible character in their text."""
    return f"U+{ord(character):04X}"


def invalid_characters(field: str, character: str) -> DomainError:
    """The refusal of a text holding ``character``; ``field`` is named as the person sees it."""
    return DomainError(
        "INVALID_CHARACTERS",
        f"Le champ « {field} » contient un caractère interdit ({describe_character(character)}"
        ", caractère de contrôle ou invisible) : retirez-le et réessayez.",
        {"field": field, "character": describe_character(character)},
        status=422,
    )


def check_text(field: str, text: str, multiline: bool = False) -> str:
    """``text`` unchanged when it holds only characters that can be stored and exported."""
    character = forbidden_character(text, multiline)
    if character is not None:
        raise invalid_characters(field, character)
    return text
