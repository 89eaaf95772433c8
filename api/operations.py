"""What each route declares about itself for berth's OpenAPI document.

Every route module lists its `operations` beside its `routes`; `api/openapi.py` builds
the document from them, and a test checks the two lists name the same routes.
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

# A response body: a model, `[Model]` for an array of them, an inline JSON schema, or
# None (for errors: problem+json).
Body = type[BaseModel] | list | dict[str, Any] | None

V3 = "/api/v3/organizations/{organisation}/applications"
ENVIRONMENTS = V3 + "/{application}/environments"
SKIP_FINAL_SNAPSHOT_QUERY = {
    "skipFinalSnapshot": ("true: delete the databases without a final snapshot", {"type": "boolean", "default": False})
}
TEXT_PLAIN, TEXT_HTML, TEXT_JAVASCRIPT, TEXT_CSS = "text/plain", "text/html", "text/javascript", "text/css"
DRY_RUN_QUERY = {"dryRun": ("true: answer the plan of the write and write nothing", {"type": "boolean", "default": False})}


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    operation_id: str
    summary: str
    request: type[BaseModel] | None = None
    responses: dict[int, tuple[str, Body]] = field(default_factory=dict)
    authenticated: bool = True
    # Query parameters: name → (description, JSON schema).
    query: dict[str, tuple[str, dict]] = field(default_factory=dict)
    # The media type of the successful answers (errors are problem+json): the
    # Prometheus exposition and the console's assets are not JSON.
    media_type: str = "application/json"


def query_of(model: type[BaseModel]) -> dict[str, tuple[str, dict]]:
    """A query model's fields as an operation's query parameters (wire names)."""
    schema = model.model_json_schema(by_alias=True)
    properties = schema.get("properties", {})
    return {name: (prop.pop("description", "") or prop.get("title", name), prop) for name, prop in properties.items()}
