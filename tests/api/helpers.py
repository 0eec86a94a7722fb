"""Small helpers for API tests: counting rows proves that a refusal wrote nothing."""

from sqlalchemy import func, select

from attendance.extensions import db


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def assert_error(response, status: int, code: str) -> dict:
    body = response.get_json()
    assert response.status_code == status, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert "details" in body
    return body
