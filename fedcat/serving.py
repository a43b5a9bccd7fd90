"""How `fedcat serve` and `fedcat demo` serve the app and log its requests.

`fedcat serve` runs gunicorn (threaded workers, FEDCAT_WEB_* settings); each worker builds its
own app after the fork, so no SQLite connection or index reader is shared between processes.
`fedcat serve --dev` and `fedcat demo` run werkzeug's development server in one process.

werkzeug's request log prints each client's address and the full query string, which together
are a record of who searched for what. By default fedcat logs method, path and status only:
no address, no query string. An operator may choose no request log at all, or opt in to
werkzeug's full line (FEDCAT_ACCESS_LOG=full), e.g. while debugging on a private network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from werkzeug.serving import WSGIRequestHandler, run_simple

from config.settings import Settings

#: werkzeug's table: control characters in a logged path become escapes (no forged lines)
_CONTROL = WSGIRequestHandler._control_char_table


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
    """Serve `app` with the development server until interrupted, logging requests as
    `access_log` says."""
    run_simple(host, port, app, threaded=True, request_handler=REQUEST_HANDLERS[access_log])


class AnonymousAccessLog(glogging.Logger):
    """gunicorn's logger with the anonymous request line (time, method, path, status), and
    its messages about refused or failed requests without the client's address or the
    request line (which carries the query)."""

    def warning(self, msg, *args, **kwargs) -> None:
        if isinstance(msg, str) and msg.startswith("Invalid request from"):
            msg, args = "request refused (malformed request)", ()
        super().warning(msg, *args, **kwargs)

    def exception(self, msg, *args, **kwargs) -> None:
        if isinstance(msg, str) and msg.startswith("Error handling request"):
            msg, args = "Error handling a request", ()
        super().exception(msg, *args, **kwargs)

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        method = environ.get("REQUEST_METHOD") or "-"
        path = (environ.get("PATH_INFO") or "-").translate(_CONTROL)
        status = getattr(resp, "status_code", None) or str(resp.status).split()[0]
        moment = time.strftime("[%d/%b/%Y %H:%M:%S]")
        self.access_log.info('%s "%s %s" %s', moment, method, path, status)


class _Gunicorn(BaseApplication):
    def __init__(self, make_app: Callable[[], object], options: dict):
        self.make_app = make_app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        return self.make_app()  # in each worker, after the fork


def gunicorn_options(settings: Settings, host: str, port: int) -> dict:
    """The gunicorn configuration `fedcat serve` runs with."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": [bind],
        "workers": settings.web_workers,
        "threads": settings.web_threads,
        "worker_class": "gthread",
        "timeout": settings.web_timeout,
        "graceful_timeout": settings.web_graceful_timeout,
        "keepalive": 5,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "fedcat-serve",
        "accesslog": None if settings.access_log == "off" else "-",
    }
    if settings.access_log != "full":
        options["logger_class"] = AnonymousAccessLog
    return options


def serve_production(
    make_app: Callable[[], object], settings: Settings, host: str, port: int
) -> None:
    """Serve the app `make_app` builds with gunicorn until SIGTERM/SIGINT (graceful stop)."""
    _Gunicorn(make_app, gunicorn_options(settings, host, port)).run()
