"""The one error hierarchy of the product.

Domain code, plumbing (settings, db, storage) and the CLI raise these; the web layer turns
them into JSON `{"error": {"code", "message"}}` with the matching HTTP status, and the CLI
turns them into one line on stderr and a non-zero exit. Messages are written for the person
who reads them: what is wrong and, where it helps, what to do. They never carry secrets.
"""

from __future__ import annotations


class CrowdsourceError(Exception):
    """Base of every error we raise on purpose."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the input field at fault, for forms that show errors beside it
        if code is not None:
            self.code = code


class SettingsError(CrowdsourceError):
    """A setting is missing or malformed; `variable` names the environment variable."""

    code = "bad_setting"

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class BadRequest(CrowdsourceError):
    code = "bad_request"
    http_status = 400


class NotFound(CrowdsourceError):
    code = "not_found"
    http_status = 404


class Conflict(CrowdsourceError):
    code = "conflict"
    http_status = 409


class ServiceUnavailable(CrowdsourceError):
    """A dependency (database, storage) cannot be reached; the client should retry later."""

    code = "unavailable"
    http_status = 503
    retry_after_seconds = 5


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


class StorageError(CrowdsourceError):
    """Object storage refused or failed an operation (bad bucket, permissions...)."""

    code = "storage_error"
    http_status = 503


class StorageUnavailable(StorageError, ServiceUnavailable):
    """Storage cannot be used now. `transient` says whether trying again may help (endpoint
    unreachable, timeout, throttling, 5xx) or not (missing bucket, access denied, no
    credentials): batch work retries only the transient kind (app.storage.retrying)."""

    code = "storage_unavailable"

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class ObjectNotFound(StorageError, NotFound):
    code = "object_not_found"
    http_status = 404


class InvalidKey(CrowdsourceError):
    """An object key that we would never build ourselves (a bug, not user input)."""

    code = "invalid_key"
    http_status = 500


class MigrationError(CrowdsourceError):
    """A migration could not be applied or reverted; the message names the file and line."""

    code = "migration_failed"
