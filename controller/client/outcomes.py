"""Exit codes and the errors a client command ends with; each is one line on stderr."""

from enum import IntEnum


class Exit(IntEnum):
    """What a command's exit code says (docs/cli.md lists them)."""

    OK = 0  # converged; for `diff`, no changes
    FAILED = 1  # a resource failed; for `diff`, there are changes
    TIMED_OUT = 2  # still converging when --timeout ran out
    BAD_INPUT = 3  # bad flags, files or configuration, or a body the API refused as invalid
    API_ERROR = 4  # the API could not be reached, refused the token, or answered an error
    INTERRUPTED = 130  # Ctrl-C


class ClientError(Exception):
    """A command cannot go on; `str(error)` is the one line shown."""

    exit_code = Exit.API_ERROR


class BadInput(ClientError):
    exit_code = Exit.BAD_INPUT


class Unreachable(ClientError):
    exit_code = Exit.API_ERROR


class ApiError(ClientError):
    """An error answer; `fields` are the problem+json `errors` (field, message)."""

    def __init__(self, line: str, status: int, body: object = None):
        super().__init__(line)
        self.status = status
        self.body = body
        # A body the API refused as invalid is the caller's input, not the API's fault.
        self.exit_code = Exit.BAD_INPUT if status in (400, 422) else Exit.API_ERROR
