"""Secrets never reach the access log: tokens in paths, tickets in query strings, headers."""

from attendance.security.logs import redact_path, redact_request_line


def test_invitation_link_and_tutor_tokens_are_redacted_from_paths():
    assert redact_path("/i/abcDEF123") == "/i/[secret]"
    assert redact_path("/l/abc.def.ghi") == "/l/[secret]"
    assert redact_path("/t/xyz") == "/t/[secret]"
    assert redact_path("/q/_gEB4KWMOfIM49kQUvLT") == "/q/[secret]"  # the projected QR
    assert redact_path("/q?code=K7M4QX") == "/q?[…]"  # the typed short code
    assert redact_path("/seances/12/qr") == "/seances/12/qr"


def test_query_strings_and_referers_lose_their_tickets():
    assert redact_path("/e/3?t=eyJhbGciOi") == "/e/3?[…]"
    assert redact_path("https://emargement.example/i/tok?x=1") == (
        "https://emargement.example/i/[secret]?[…]"
    )
    line = redact_request_line("GET /i/secret-token?t=ticket HTTP/1.1")
    assert "secret-token" not in line and "ticket" not in line
    assert line == "GET /i/[secret]?[…] HTTP/1.1"
