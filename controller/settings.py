"""Process-wide settings, read from the environment once at start-up.

AWS is configured the way every AWS SDK reads it (AWS_ENDPOINT_URL, AWS_REGION,
credentials); only what AWS has no variable for is spelled BERTH_*.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from controller.runtime.settings import RuntimeSettings

DEFAULT_DATA_DIR = Path(".berth")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None
    data_dir: Path
    log_level: str
    log_json: bool
    runtime: RuntimeSettings
    # Seals v1 secret configuration values (controller/store/v1/sealing.py); `berth up`
    # keeps one in <data-dir>/secrets-key when none is given.
    secrets_key: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        return cls(
            database_url=environ.get("DATABASE_URL") or None,
            data_dir=Path(environ.get("BERTH_DATA_DIR", DEFAULT_DATA_DIR)),
            log_level=environ.get("BERTH_LOG_LEVEL", "INFO"),
            log_json=environ.get("BERTH_LOG_FORMAT", "json") == "json",
            runtime=RuntimeSettings.from_env(environ),
            secrets_key=environ.get("BERTH_SECRETS_KEY") or None,
        )
