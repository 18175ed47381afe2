"""The one error type the core raises.

The CLI turns a ``CpeError`` into a single ``Error: ...`` line on standard
error and its exit code, so every failure a user can cause or meet is worded
once, here in the core, and never arrives as a traceback.
"""

from __future__ import annotations

INVALID_INPUT = 2
OPERATION_FAILED = 1
STATUS_SHORT = 3  # `cpe status --check`: a tracked profile is short of its requirements (not an error)


class CpeError(Exception):
    """A failure worth telling the user about, with the exit code it deserves.

    ``exit_code`` is 2 when the user's input or usage was wrong (fix the
    command and retry) and 1 when a valid command could not be carried out
    (a damaged database, a full disk, a missing record).
    """

    def __init__(self, message: str, exit_code: int = OPERATION_FAILED):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    @classmethod
    def invalid(cls, message: str) -> "CpeError":
        return cls(message, INVALID_INPUT)

    @classmethod
    def failed(cls, message: str) -> "CpeError":
        return cls(message, OPERATION_FAILED)

    @classmethod
    def no_record(cls, record_id: int) -> "CpeError":
        """The one wording of an id that names no record (show, edit, rm), with where the ids are."""
        return cls(missing_record(record_id), OPERATION_FAILED)

    def __str__(self) -> str:
        return self.message


def missing_record(record_id: int) -> str:
    return f"no record with id {record_id} ('cpe list' shows the ids)"
