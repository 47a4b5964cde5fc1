"""Every route of the service, in one table."""

from __future__ import annotations

from aiohttp import web

from notes.web import docs, handlers


def setup_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/notes", handlers.list_notes)
    router.add_post("/notes", handlers.create_note)
    router.add_get("/notes/{note_id}", handlers.get_note)
    router.add_put("/notes/{note_id}", handlers.replace_note)
    router.add_patch("/notes/{note_id}", handlers.patch_note)
    router.add_delete("/notes/{note_id}", handlers.delete_note)
    router.add_get("/health", handlers.health)
    router.add_get("/health/live", handlers.health_live)
    router.add_get("/health/ready", handlers.health_ready)
    router.add_get("/openapi.json", handlers.openapi_document)
    router.add_get("/docs", docs.docs_page)
    router.add_get(f"{docs.ASSETS_PREFIX}/docs-init.js", docs.docs_init_script)
    router.add_get(f"{docs.ASSETS_PREFIX}/{{name}}", docs.asset_handler(docs.swagger_ui_assets()))
