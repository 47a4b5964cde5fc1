"""Interactive API docs: Swagger UI, its assets served from the installed package."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from aiohttp import web

ASSETS_PREFIX = "/docs/assets"

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


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(text=DOCS_PAGE, content_type="text/html")


async def docs_init_script(request: web.Request) -> web.Response:
    return web.Response(text=INIT_SCRIPT, content_type="text/javascript")
