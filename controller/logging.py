"""structlog set up for operators: one JSON object per line on stderr."""

import logging
import sys
from typing import BinaryIO, TextIO, cast

import orjson
import structlog


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written, not when logging was configured:
    a replaced stream (a test runner's capture, say) may since have been closed."""

    def write(self, data: bytes | str) -> None:
        if isinstance(data, bytes):
            sys.stderr.buffer.write(data)
        else:
            sys.stderr.write(data)

    def flush(self) -> None:
        sys.stderr.flush()


class _CurrentStderrHandler(logging.StreamHandler):
    """A StreamHandler on the current `sys.stderr` (see `_CurrentStderr`)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str = "INFO", *, json: bool = True) -> None:
    renderer = (
        structlog.processors.JSONRenderer(serializer=orjson.dumps)
        if json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_logger_factory(json),
        cache_logger_on_first_use=True,
    )
    _route_standard_logging(json)
    for noisy in ("werkzeug", "botocore", "aiobotocore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def _logger_factory(json: bool) -> structlog.BytesLoggerFactory | structlog.PrintLoggerFactory:
    # structlog annotates a whole file object, but only ever calls write() and flush().
    if json:
        return structlog.BytesLoggerFactory(cast(BinaryIO, _CurrentStderr()))
    return structlog.PrintLoggerFactory(cast(TextIO, _CurrentStderr()))


def _route_standard_logging(json: bool) -> None:
    """Libraries' `logging` records (asyncpg's pool, uvicorn's errors) come out as the same
    one-object-per-line JSON as berth's own, so log pipelines never meet a bare traceback."""
    renderer = (
        structlog.processors.JSONRenderer(serializer=lambda obj, **_: orjson.dumps(obj, default=str).decode())
        if json
        else structlog.dev.ConsoleRenderer()
    )
    handler = _CurrentStderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
