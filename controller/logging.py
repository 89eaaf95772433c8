"""structlog set up for operators: one JSON object per line on stderr."""

import logging
import sys

import orjson
import structlog


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
        logger_factory=structlog.BytesLoggerFactory(sys.stderr.buffer) if json else structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for noisy in ("werkzeug", "botocore", "aiobotocore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
