"""Interactive API docs: Swagger UI, its assets served from the installed package."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import hdrs, web

from notes.web.security import DOCS_CONTENT_SECURITY_POLICY

ASSETS_PREFIX = "/docs/assets"
# What the page loads from swagger-ui-py, and nothing else of its folder.
ASSET_TYPES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}

DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>notes API</title>
  <link rel="stylesheet" href="{ASSETS_PREFIX}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{ASSETS_PREFIX}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS_PREFIX}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS_PREFIX}/swagger-ui-standalone-preset.js"></script>
  <script src="{ASSETS_PREFIX}/docs-init.js"></script>
</body>
</html>
"""

INIT_SCRIPT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "BaseLayout",
  validatorUrl: null
});
"""


def swagger_ui_assets() -> Path:
    """The static folder of swagger-ui-py, found without importing the package."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def asset_handler(folder: Path) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of the page's assets, read from `folder`.

    Each answer is the whole file: no Range or If-Modified-Since handling, so that every
    answer is a 200 or a problem+json error (aiohttp's static route answers a missing
    file or a bad Range with an empty, untyped 404 or 416 of its own)."""

    async def docs_asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ASSET_TYPES:
            raise web.HTTPNotFound()
        # Off the event loop: a file read can wait on the disk.
        body = await asyncio.to_thread((folder / name).read_bytes)
        return web.Response(
            body=body,
            content_type=ASSET_TYPES[name],
            headers={hdrs.CACHE_CONTROL: "public, max-age=3600"},
        )

    return docs_asset


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(
        text=DOCS_PAGE,
        content_type="text/html",
        headers={"Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY},
    )


async def docs_init_script(request: web.Request) -> web.Response:
    return web.Response(text=INIT_SCRIPT, content_type="text/javascript")
