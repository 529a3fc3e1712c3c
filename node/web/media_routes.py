"""Media: `GET /media/{file}` serves stored images; `POST /media` lets a member upload one.

`checked_upload_form` reads a form with a file field through the one form reader (node/web/forms.py)
under the upload limit; the account and profile forms use it too."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from node.core import media as media_service
from node.core.models import Actor
from node.web import auth, pages
from node.web.errors import PageRefusal
from node.web.forms import checked_form

FORM_MARGIN = 64 * 1024  # room for the other fields and the multipart framing around the file
IMMUTABLE = "public, max-age=31536000, immutable"


def upload_limit(request: Request) -> int:
    return pages.node_of(request).settings.media.max_upload_bytes + FORM_MARGIN


async def checked_upload_form(request: Request, limit: int | None = None) -> FormData:
    """A form with a file field, through the one form reader under the upload limit: raises the
    refusal (413 when larger, 400 when malformed, 403 when its CSRF token is stale)."""
    limits = pages.node_of(request).settings.media
    too_large = ("File too large",
                 f"Images up to {limits.max_upload_bytes // 1_000_000} MB are accepted. Choose a smaller picture.")
    return await checked_form(request, files=4, limit=upload_limit(request) if limit is None else limit,
                              too_large=too_large)


async def uploaded_file(form: FormData, name: str = "file") -> tuple[bytes, str] | None:
    """The bytes and the file name of an uploaded file field, or None when no file was chosen."""
    value = form.get(name)
    if not isinstance(value, UploadFile):
        return None
    data = await value.read()
    if not data and not value.filename:
        return None
    return data, value.filename or ""


def safe_next(target: str) -> str | None:
    """A local path to go back to (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


async def serve(request: Request) -> Response:
    node = pages.node_of(request)
    name = request.path_params["file"]
    if media_service.store_of(node).remote:  # an S3 store: send the client to the bucket
        found = await media_service.object_redirect(node, name)
        if found is not None:
            return RedirectResponse(found[0], status_code=302,
                                    headers={"Cache-Control": found[1], "X-Content-Type-Options": "nosniff"})
    path = media_service.resolve_file(node, name)
    if path is None:
        return Response("Not found", status_code=404, media_type="text/plain",
                        headers={"X-Content-Type-Options": "nosniff"})
    content_type = media_service.CONTENT_TYPES[name.rsplit(".", 1)[1]]
    return FileResponse(
        path, media_type=content_type,
        headers={
            "Cache-Control": IMMUTABLE,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


async def upload(request: Request) -> Response:
    user = await auth.current_user(request)
    if user is None or user.disabled:
        raise PageRefusal.login()
    form = await checked_upload_form(request)
    node = pages.node_of(request)
    upload_data = await uploaded_file(form)
    if upload_data is None:
        raise PageRefusal(400, "No image", "Choose an image file to upload.")
    alt = form.get("alt")
    owner = await Actor.get(id=user.actor_id)
    try:
        stored = await media_service.store_upload(node, owner, upload_data[0], alt if isinstance(alt, str) else "",
                                                  upload_data[1])
    except media_service.MediaError as exc:
        raise PageRefusal(400, "Image not accepted", str(exc)) from None
    back = safe_next(str(form.get("next") or ""))
    if back:
        joiner = "&" if "?" in back else "?"
        return RedirectResponse(back + joiner + urlencode({"media": stored.key}), status_code=303)
    return await pages.render(
        request, "media/uploaded.html", status=201, media=stored,
        url=media_service.media_url(node, stored), srcset=media_service.srcset(node, stored),
        small=media_service.media_url(node, stored, 640),
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/media/{file}", serve, methods=["GET"]),
        Route("/media", upload, methods=["POST"]),
    ]
