"""How `fedcat serve` and `fedcat demo` serve the app and log its requests.

werkzeug's request log prints each client's address and the full query string, which together
are a record of who searched for what. By default fedcat logs method, path and status only:
no address, no query string. An operator may choose no request log at all, or opt in to
werkzeug's full line (FEDCAT_ACCESS_LOG=full), e.g. while debugging on a private network.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, run_simple


class AnonymousRequestHandler(WSGIRequestHandler):
    """Logs '"GET /api/v1/search" 200': the time, method, path and status, nothing else."""

    def address_string(self) -> str:
        return "-"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        command = getattr(self, "command", None) or "-"
        path = urlsplit(getattr(self, "path", "") or "").path or "-"
        path = path.translate(self._control_char_table)
        self.log("info", '"%s %s" %s', command, path, getattr(code, "value", code))

    def log_error(self, format: str, *args) -> None:
        """http.server's error messages quote the raw request line, query string and all:
        only the status code is kept."""
        code = next((a for a in args if isinstance(a, int)), "-")
        self.log("error", "request refused (%s)", code)


class SilentRequestHandler(AnonymousRequestHandler):
    """No line per request; refused requests are still reported, without patron data."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


REQUEST_HANDLERS: dict[str, type[WSGIRequestHandler]] = {
    "off": SilentRequestHandler,
    "anonymous": AnonymousRequestHandler,
    "full": WSGIRequestHandler,
}


def serve(app, host: str, port: int, access_log: str = "anonymous") -> None:
    """Serve `app` until interrupted, logging requests as `access_log` says."""
    run_simple(host, port, app, threaded=True, request_handler=REQUEST_HANDLERS[access_log])
