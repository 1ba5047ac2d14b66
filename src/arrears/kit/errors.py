"""Errors users may see, each with an HTTP status and a plain message; one handler renders them."""

from __future__ import annotations


class ArrearsError(Exception):
    """Base of every expected error: shown to the user as its message, never as a traceback."""

    status_code = 400
    exit_code = 1

    def __init__(self, message: str, *, detail: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadInput(ArrearsError):
    """The input is malformed (a field missing, out of range, of the wrong kind); nothing was
    changed."""

    status_code = 422
    exit_code = 2


class RuleRefused(ArrearsError):
    """The input is well formed but a business rule refuses it (a closed case, a stop out of
    order, an amount above what is owed); nothing was changed. 409, apart from malformed 422."""

    status_code = 409
    exit_code = 1


class NotFound(ArrearsError):
    status_code = 404


class NotPermitted(ArrearsError):
    status_code = 403


class NotAuthenticated(ArrearsError):
    status_code = 401


class Conflict(ArrearsError):
    """Someone else changed the record first (optimistic locking) or the row already exists."""

    status_code = 409


class IllegalTransition(Conflict):
    """A state machine refused the requested move."""
