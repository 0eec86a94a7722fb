"""The API's answer to any failure: ``{"code", "message", "details"}`` with its status."""

from flask import jsonify

from attendance.errors import describe


def error_response(error: BaseException):
    """JSON for programs: ``code`` is stable, ``message`` French for the person."""
    failure = describe(error)
    response = jsonify(
        {"code": failure.code, "message": failure.message, "details": failure.details}
    )
    response.status_code = failure.status
    if failure.retry_after:
        response.headers["Retry-After"] = str(failure.retry_after)
    return response
