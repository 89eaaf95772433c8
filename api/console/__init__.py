"""`/console`: one page that shows an organisation's applications at a glance.

The page is static (HTML, a small script and a style sheet, no build step, nothing
fetched from elsewhere) and reads everything through the public v3 API with the
operator's bearer token, which it keeps in sessionStorage: the console has no access
of its own. The live events come from `…/events/stream` read with `fetch` (which can
send `Authorization`), not EventSource (which cannot): the long-lived token never
appears in a URL, a log line or the browser's history.

The assets are served with a strict Content-Security-Policy: scripts and styles only
from berth itself, connections only to berth itself, no inline code, no framing.
"""

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from api.operations import TEXT_CSS, TEXT_HTML, TEXT_JAVASCRIPT, Operation

STATIC = Path(__file__).parent / "static"
PAGE = "/console"
SCRIPT = "/console/console.js"
STYLE = "/console/console.css"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Small and read once per visit; no-cache keeps an upgraded berth's page current.
    "Cache-Control": "no-cache",
}


def _asset(name: str, media_type: str):
    body = (STATIC / name).read_bytes()

    async def serve(_: Request) -> Response:
        return Response(body, media_type=media_type, headers=HEADERS)

    return serve


console_page = _asset("console.html", f"{TEXT_HTML}; charset=utf-8")
console_script = _asset("console.js", f"{TEXT_JAVASCRIPT}; charset=utf-8")
console_style = _asset("console.css", f"{TEXT_CSS}; charset=utf-8")


_TEXT = {"type": "string"}
# Served without a token, like /healthz: the page holds no data; it asks for a token and
# reads the API with it.
operations = [
    Operation(PAGE, "get", "consolePage", "The console page (HTML)", None, {200: ("The page", _TEXT)}, False,
              media_type=TEXT_HTML, handler=console_page),
    Operation(SCRIPT, "get", "consoleScript", "The console's script", None, {200: ("JavaScript", _TEXT)}, False,
              media_type=TEXT_JAVASCRIPT, handler=console_script),
    Operation(STYLE, "get", "consoleStyle", "The console's style sheet", None, {200: ("CSS", _TEXT)}, False,
              media_type=TEXT_CSS, handler=console_style),
]
