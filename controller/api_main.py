"""The ASGI entry point `berth api` serves: `controller.api_main:app` — berth's API with
its cloud reads (logs, metrics, registry login) on the AWS this process is configured for.

`api.main:app` is the same API without them (those routes answer 503); it stays for
callers that want the API alone.
"""

import os

from api.app import create_app
from controller.cloud.reads import aws_cloud_reads
from controller.logging import configure
from controller.settings import Settings

settings = Settings.from_env()
configure(settings.log_level, json=settings.log_json)
app = create_app(os.environ["DATABASE_URL"], cloud=aws_cloud_reads(os.environ))
