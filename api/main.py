"""The ASGI entry point for `berth api` and any ASGI server: `api.main:app`."""

import os

from api.app import create_app
from controller.logging import configure
from controller.settings import Settings

settings = Settings.from_env()
configure(settings.log_level, json=settings.log_json)
app = create_app(os.environ["DATABASE_URL"])
