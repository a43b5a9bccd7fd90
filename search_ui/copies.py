"""Copies of articles and chapters on the web: the lender uploads the scan, the patron
downloads it, borrowing staff are warned past the CONTU limit.

- `POST /staff/requests/<id>/scan` — the lending library's staff upload the PDF (a multipart
  form with its CSRF token); the request becomes CopyCompleted and the patron is mailed.
  Size and type limits are FEDCAT_COPY_MAX_MB and PDF only (413 and 415, with the reason).
- `GET /my/requests/<id>/copy` — the requesting patron downloads it until FEDCAT_COPY_DAYS
  after the upload; then 410 with the date it could be downloaded until. Anyone else: 404
  (another patron) or 403 (staff), exactly as for the request itself.

The rules are `ill.copies.Copies`'; these views only read the form and send the file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, redirect, request, send_file
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext
from werkzeug.wrappers import Response

from ill.copies import ContuCheck, Copies, CopyFile, CopySettings
from ill.errors import BadArguments, NotPermitted, RequestConflict, RequestNotFound, ScanRefused
from ill.model import Actor, Request
from ill.states import Action, Role, Status
from search_ui.auth import current_account, require
from search_ui.extension import EXTENSION, Fedcat, fedcat
from search_ui.i18n import DEFAULT_LANGUAGE, LANGUAGES
from search_ui.links import link

blueprint = Blueprint("copies", __name__)
#: room for the form's other fields and the multipart framing around the scan
FORM_OVERHEAD = 64 * 1024


@blueprint.record_once
def _limit_request_bodies(state: BlueprintSetupState) -> None:
    """No request body may be larger than a scan and its form: werkzeug answers 413 from the
    Content-Length, before anything is read or spooled (the CSRF check reads the form before
    any view runs). The scan's own exact limit is checked by `Copies.upload`."""
    settings = state.app.extensions[EXTENSION].settings
    limit = settings.copy_max_mb * 1024 * 1024 + FORM_OVERHEAD
    state.app.config["MAX_CONTENT_LENGTH"] = limit


def copies_of(shared: Fedcat) -> Copies:
    """The app's copies (scans in the data directory's `copies/`), as the settings say."""
    s = shared.settings
    directory = s.data_dir / "copies"
    return Copies(shared.ill, CopySettings(directory, s.copy_days, s.copy_limit,
                                           s.copy_max_mb * 1024 * 1024))  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


# the lender's upload -------------------------------------------------------------------------


@blueprint.post("/staff/requests/<request_id>/scan")
@require("staff", "operator")
def upload_scan(request_id: str) -> Response:
    """Keep the lending library's scan and complete the request; refusals say why."""
    account = current_account()
    assert account is not None  # `require` ran
    copies = copies_of(fedcat())
    try:
        found = fedcat().ill.store.get(request_id)
    except RequestNotFound:
        abort(404, description=f"no inter-library loan request {request_id!r}")
    if found.lender != account.library_id:
        if found.borrowing_library != account.library_id:
            abort(404, description=f"no inter-library loan request {request_id!r}")
        raise NotPermitted("only the lending library's staff upload the scan of a copy")
    _check_version(found)
    scan = request.files.get("scan")
    if scan is None or not scan.filename:
        raise ScanRefused(gettext("Choose the PDF file of the scan to upload."), 400)
    actor = Actor(account.username or str(account.id), Role.lender, account.library_id)
    copies.upload(found.id, actor, scan.stream, scan.mimetype or "", _now())
    lang = request.form.get("lang", "")
    params = {"lang": lang} if lang in LANGUAGES and lang != DEFAULT_LANGUAGE else {}
    return redirect(link("staff.detail", params, request_id=found.id), code=303)


def _check_version(found: Request) -> None:
    """The form was made for the request as it is now (as the staff action forms check)."""
    version = request.form.get("version", "")
    if not version.isdigit():
        raise BadArguments("the form lacks the request's version: reload the page")
    if int(version) != found.version:
        raise RequestConflict(found.id, int(version))


def can_upload(found: Request, role: Role, actions: list[Action]) -> bool:
    """The lender's page offers the upload while the copy is still to be delivered."""
    return role is Role.lender and found.service == "Copy" and Action.CopyDelivered in actions


def contu_warning(found: Request, role: Role) -> ContuCheck | None:
    """For borrowing staff: the CONTU count of this request's journal, when past the limit."""
    if role is not Role.borrower or found.service != "Copy":
        return None
    check = copies_of(fedcat()).contu_check(found)
    return check if check is not None and check.past_limit else None


# the patron's download -----------------------------------------------------------------------


@blueprint.get("/my/requests/<request_id>/copy")
def download_copy(request_id: str) -> Response:
    """The scan, to the requesting patron only, until its download period ends (then 410).
    Signed out, the link (from the mail or "My requests") leads to sign-in and back."""
    account = current_account()
    if account is None:
        return redirect(link("signin.sign_in_page", {"next": request.full_path}), 303)
    if account.role != "patron":
        abort(403, description="Your account may not do this.")
    patron = Actor(account.card_number or "", Role.patron, account.library_id)
    copy = copies_of(fedcat()).for_patron(request_id, patron, _now())
    response = send_file(
        copy.path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{request_id}.pdf",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def patron_copy(found: Request) -> dict[str, Any] | None:
    """What "My requests" says about a delivered copy: the link and until when, or that it
    is gone. None for a loan or a copy not delivered (yet)."""
    if found.service != "Copy" or found.state.status is not Status.CopyCompleted:
        return None
    copy: CopyFile | None = copies_of(fedcat()).find(found.id)
    if copy is None:
        return None
    available = _now() < copy.expires_at and copy.path.exists()
    return {"until": copy.expires_at, "available": available}
