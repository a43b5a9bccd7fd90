"""Where fedcat keeps its state, which engine it uses and how it serves, from the environment.

Every setting is one row of `SETTINGS`: its environment variable, its default, how it is
read and what it is for. `from_environment` reads them once into a frozen `Settings`, which
the edges (the CLI, the app factory) pass down; `fedcat --help`, `fedcat settings`, the
README and the operator guide show the same table (tests/test_settings.py checks them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENGINES = ("tantivy", "elasticsearch")
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The partner registry installed with fedcat (the demo libraries).
BUNDLED_PARTNERS = Path(__file__).resolve().parent / "partners.toml"
#: Requests per client to /api/ within a window: generous for a patron or a partner's widget,
#: a brake on a script hammering the engine. Several limits may be joined with ';'.
DEFAULT_RATE_LIMIT = "300/minute"
#: Harvested records applied, committed and checkpointed together (each batch is one engine
#: commit; 2000 cost ~75 MiB more than 1000 for no clear gain in bench/harvest.py).
DEFAULT_BATCH_SIZE = 1000
#: Percent of a partner's records a full harvest may remove without the operator's say-so
#: (a partner whose feed comes back short or empty would otherwise vanish from the catalogue).
DEFAULT_MAX_REMOVAL = 10.0
#: Seconds the web app and the CLI wait for Elasticsearch before giving up (FEDCAT_ES_TIMEOUT).
DEFAULT_ES_TIMEOUT = 10.0
#: What `fedcat serve` logs per request: nothing, method + path + status (the default: no
#: client address, no query string), or werkzeug's full line with both (operator's opt-in).
ACCESS_LOGS = ("off", "anonymous", "full")
#: argon2id cost of PINs and passwords: time cost, memory in KiB, lanes — argon2-cffi's own
#: defaults (RFC 9106's low-memory profile). Tests use cheap ones; production should not.
DEFAULT_PASSWORD_COST = (3, 65536, 4)
_OFF = ("", "off", "none", "0", "false", "no")
#: searches whose facet counts a web process keeps (FEDCAT_FACET_CACHE; indexer.facet_cache)
DEFAULT_FACET_CACHE = 512


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    #: relative to the working directory of the process that reads the settings
    data_dir: Path
    engine: str = "tantivy"
    es_url: str = "http://127.0.0.1:9200"
    es_index: str = "fedcat-works"
    es_timeout: float = DEFAULT_ES_TIMEOUT
    #: searches whose facet counts each process keeps for the index's current commit
    #: (tantivy; 0: count every search's facets)
    facet_cache: int = DEFAULT_FACET_CACHE
    partners_file: Path = BUNDLED_PARTNERS
    #: per-client limit on /api/ requests (Flask-Limiter syntax), or None for no limit
    rate_limit: str | None = DEFAULT_RATE_LIMIT
    #: where the rate limit counts: "" for each process's memory, or a redis:// URL that
    #: every worker and web host shares
    rate_limit_store: str = ""
    access_log: str = "anonymous"
    #: reverse proxies in front of the app whose X-Forwarded-For is believed (0: none, the
    #: header is ignored, so a client cannot pose as another to dodge the rate limit)
    trusted_proxies: int = 0
    #: where requests and accounts live: an SQLite file or a postgresql:// DSN ("" = the
    #: embedded default, `shared.sqlite` in the data directory)
    database: str = ""
    #: signs session and CSRF cookies; "" = a random key kept in the data directory
    secret_key: str = ""
    #: days a lender may leave a request unanswered before it passes to the next lender
    ill_answer_days: int = 3
    #: days a closed request keeps its patron link before `fedcat ill tick` anonymises it
    ill_retention_days: int = 90
    #: requests in 12 months by one library's patrons that make a work a purchase suggestion
    purchase_min_requests: int = 3
    #: the SMTP server request mail goes to ("" = none: mail stays queued)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "fedcat@localhost"
    #: days a patron may download a copy (a scan) before its file is deleted
    copy_days: int = 14
    #: copies a year of one journal's recent articles per borrowing library before staff
    #: are warned (CONTU's rule of five)
    copy_limit: int = 5
    copy_max_mb: int = 20
    #: percent of a partner's records a full harvest may remove unconfirmed (see partners.toml
    #: `max_removal` for one partner's own)
    max_removal: float = DEFAULT_MAX_REMOVAL
    #: `fedcat serve`: processes, threads per process, seconds a request may take before its
    #: worker is replaced, seconds to finish requests in hand on stop
    web_workers: int = 2
    web_threads: int = 4
    web_timeout: int = 30
    web_graceful_timeout: int = 20
    #: days without a successful harvest before `fedcat health` flags a partner as stale
    stale_days: int = 7
    #: a fall of a metadata quality share (0 to 1) between runs that `fedcat health` flags
    quality_drop: float = 0.2
    volume_change: float = 0.1
    #: where alerts go when a partner becomes flagged ("" = no alert mail)
    operator_email: str = ""
    #: the bearer token `/metrics` asks for ("" = answered to loopback clients only)
    metrics_token: str = ""
    #: argon2id (time cost, memory KiB, lanes) for new PIN and password hashes
    password_cost: tuple[int, int, int] = DEFAULT_PASSWORD_COST
    #: machine-suggested subjects kept per work at most (`fedcat ai suggest`)
    ai_suggestions: int = 5
    #: after each harvest, suggest subjects for new works without any (it reads every work:
    #: off by default, as it lengthens harvests of a large catalogue)
    ai_after_harvest: bool = False
    #: distinct requesters a pair of works needs before "also requested" shows it
    co_request_min: int = 5
    #: loans a lender+borrower pair (then a lender) needs before its own median delivery
    #: time is used for "about D days"
    delivery_min_sample: int = 5
    #: seconds a web process keeps the delivery history it read before reading it again
    delivery_cache_seconds: int = 300

    @property
    def database_location(self) -> str:
        """The request and account store: the DSN, or the SQLite file in the data directory."""
        return self.database or str(self.data_dir / "shared.sqlite")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "tantivy"

    @property
    def state_db(self) -> Path:
        """The SQLite file with harvest checkpoints, run reports and the record store."""
        return self.data_dir / "fedcat.sqlite"


# -- how each kind of value is read ------------------------------------------------------
def _one_of(choices: tuple[str, ...]) -> str:
    return f"{', '.join(choices[:-1])} or {choices[-1]}"


def _choice(name: str, choices: tuple[str, ...], fold: bool = False) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if fold:
            value = value.strip().lower()
        if value not in choices:
            raise SettingsError(f"{name}={value!r}: choose one of {', '.join(choices)}")
        return value

    return parse


def _seconds(name: str, default: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        value = value.strip()
        if not value:
            return default
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not 0.1 <= seconds <= 300:
            raise SettingsError(f"{name}={value!r}: a number of seconds from 0.1 to 300")
        return seconds

    return parse


def _count(name: str) -> Callable[[str], int]:
    def parse(value: str) -> int:
        value = value.strip() or "0"
        if not (value.isascii() and value.isdigit()) or int(value) > 10:
            raise SettingsError(f"{name}={value!r}: a whole number from 0 to 10")
        return int(value)

    return parse


def _days(name: str) -> Callable[[str], int]:
    def parse(value: str) -> int:
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 60:
            raise SettingsError(f"{name}={value!r}: a whole number of days from 1 to 60")
        return int(value)

    return parse


def _whole(name: str, low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(value: str) -> int:
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            raise SettingsError(f"{name}={value!r}: a whole number of {what} from {low} to {high}")
        return int(value)

    return parse


def _percent(name: str) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            share = float(value.strip().removesuffix("%"))
        except ValueError:
            share = -1.0
        if not 0 <= share <= 100:
            raise SettingsError(f"{name}={value!r}: a percentage from 0 to 100")
        return share

    return parse


def _fraction(name: str) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            share = float(value.strip())
        except ValueError:
            share = -1.0
        if not 0 < share <= 1:
            raise SettingsError(f"{name}={value!r}: a share above 0 and at most 1, e.g. 0.2")
        return share

    return parse


def _email_address(name: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        local, at, domain = value.partition("@")
        if value and not (local and at and domain and " " not in value):
            raise SettingsError(f"{name}={value!r}: an e-mail address, e.g. ops@library.example")
        return value

    return parse


def _password_cost(value: str) -> tuple[int, int, int]:
    """FEDCAT_PASSWORD_COST: 'time cost,memory KiB,lanes', e.g. 3,65536,4."""
    parts = [part.strip() for part in value.split(",")]
    problem = (
        f"FEDCAT_PASSWORD_COST={value!r}: three whole numbers 'time cost,memory KiB,lanes' "
        "(time 1 to 20, memory 8 × lanes to 4194304 KiB, lanes 1 to 16), e.g. 3,65536,4"
    )
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
        raise SettingsError(problem)
    time_cost, memory, lanes = (int(part) for part in parts)
    if not (1 <= time_cost <= 20 and 1 <= lanes <= 16 and 8 * lanes <= memory <= 4194304):
        raise SettingsError(problem)
    return time_cost, memory, lanes


def _on_off(name: str) -> Callable[[str], bool]:
    def parse(value: str) -> bool:
        value = value.strip().lower()
        if value in _OFF:
            return False
        if value in ("on", "1", "true", "yes"):
            return True
        raise SettingsError(f"{name}={value!r}: on or off")

    return parse


def _database(value: str) -> str:
    value = value.strip()
    if value.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")) or not value:
        return value
    if "://" in value:
        raise SettingsError(
            f"FEDCAT_DATABASE={value.split('://')[0]}://…: give an SQLite file path or a "
            "postgresql:// DSN"
        )
    return value


def _partners_file(value: str) -> Path:
    return BUNDLED_PARTNERS if value == "" else Path(value)


def rate_limit(value: str) -> str | None:
    """FEDCAT_RATE_LIMIT: '300/minute', '10/second;300/minute', or 'off' for no limit."""
    value = value.strip()
    if value.lower() in _OFF:
        return None
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise SettingsError(
            f"FEDCAT_RATE_LIMIT={value!r}: write it like '300/minute' or "
            "'10/second;300/minute', or 'off' for no limit"
        ) from None
    return value


def rate_limit_store(value: str) -> str:
    """FEDCAT_RATE_LIMIT_STORE: '' (each process counts) or redis://[:password@]host:port/db."""
    value = value.strip()
    if value.lower() in ("", "memory", "memory://"):
        return ""
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(
            f"FEDCAT_RATE_LIMIT_STORE={value!r}: write a Redis URL like "
            "'redis://127.0.0.1:6379/0', or leave it empty to count in each process"
        )
    return value


# -- the table -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """One setting: the `Settings` field it fills and how an operator sets it."""

    field: str
    #: the environment variable
    env: str
    #: the value used when the variable is not set, as it would be written in the environment
    default: str
    #: what the value may be, in a few words
    kind: str
    help: str
    parse: Callable[[str], Any]
    #: how the default is shown when it is not a value one would write (a bundled file)
    shown_default: str = ""

    @property
    def documented_default(self) -> str:
        return self.shown_default or self.default


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        "FEDCAT_DATA_DIR",
        "./data",
        "directory",
        "state (fedcat.sqlite: checkpoints, reports, records) and the embedded index",
        Path,
    ),
    Setting(
        "engine",
        "FEDCAT_ENGINE",
        "tantivy",
        _one_of(ENGINES),
        "tantivy is embedded (on disk), elasticsearch a server",
        _choice("FEDCAT_ENGINE", ENGINES),
    ),
    Setting(
        "es_url",
        "FEDCAT_ES_URL",
        "http://127.0.0.1:9200",
        "URL",
        "the Elasticsearch server",
        str,
    ),
    Setting(
        "es_index",
        "FEDCAT_ES_INDEX",
        "fedcat-works",
        "index name",
        "the Elasticsearch index (an alias after a reindex)",
        str,
    ),
    Setting(
        "es_timeout",
        "FEDCAT_ES_TIMEOUT",
        f"{DEFAULT_ES_TIMEOUT:g}",
        "seconds, 0.1 to 300",
        "how long the web app (then 503) and the commands wait for Elasticsearch",
        _seconds("FEDCAT_ES_TIMEOUT", DEFAULT_ES_TIMEOUT),
    ),
    Setting(
        "facet_cache",
        "FEDCAT_FACET_CACHE",
        str(DEFAULT_FACET_CACHE),
        "0 to 100000",
        "searches whose facet counts each process keeps until the next commit (tantivy; "
        "paging and re-sorting count once); 0 counts every time",
        _whole("FEDCAT_FACET_CACHE", 0, 100_000, "searches"),
    ),
    Setting(
        "partners_file",
        "FEDCAT_PARTNERS",
        "",
        "file",
        "the partner registry (default: the one installed with fedcat)",
        _partners_file,
        shown_default="config/partners.toml",
    ),
    Setting(
        "rate_limit",
        "FEDCAT_RATE_LIMIT",
        DEFAULT_RATE_LIMIT,
        "limit or off",
        "API requests per client (10/second;300/minute combines; off disables)",
        rate_limit,
    ),
    Setting(
        "rate_limit_store",
        "FEDCAT_RATE_LIMIT_STORE",
        "",
        "empty or redis:// URL",
        "where the rate limit counts: empty for each process apart, or a Redis every worker "
        "and web host shares (unreachable: each process counts alone)",
        rate_limit_store,
        shown_default="(per process)",
    ),
    Setting(
        "trusted_proxies",
        "FEDCAT_TRUSTED_PROXIES",
        "0",
        "0 to 10",
        "reverse proxies whose X-Forwarded-For is believed (for the rate limit)",
        _count("FEDCAT_TRUSTED_PROXIES"),
    ),
    Setting(
        "access_log",
        "FEDCAT_ACCESS_LOG",
        "anonymous",
        _one_of(ACCESS_LOGS),
        "request log of fedcat serve (anonymous: no client address, no query string)",
        _choice("FEDCAT_ACCESS_LOG", ACCESS_LOGS, fold=True),
    ),
    Setting(
        "database",
        "FEDCAT_DATABASE",
        "",
        "file or DSN",
        "inter-library loan requests and accounts: an SQLite file, or a postgresql:// DSN that "
        "several web hosts share",
        _database,
        shown_default="data/shared.sqlite",
    ),
    Setting(
        "secret_key",
        "FEDCAT_SECRET_KEY",
        "",
        "text",
        "signs session and form cookies; set the same value on every web host "
        "(default: a random key kept in the data directory)",
        str,
        shown_default="(generated)",
    ),
    Setting(
        "ill_answer_days",
        "FEDCAT_ILL_ANSWER_DAYS",
        "3",
        "1 to 60",
        "days a lender may leave a request unanswered before it passes to the next lender",
        _days("FEDCAT_ILL_ANSWER_DAYS"),
    ),
    Setting(
        "ill_retention_days",
        "FEDCAT_ILL_RETENTION_DAYS",
        "90",
        "1 to 3650",
        "days a closed request keeps its patron link; then only anonymous facts remain",
        _whole("FEDCAT_ILL_RETENTION_DAYS", 1, 3650, "days"),
    ),
    Setting(
        "purchase_min_requests",
        "FEDCAT_PURCHASE_MIN_REQUESTS",
        "3",
        "1 to 1000",
        "requests for a work by one library's patrons in 12 months that make it a purchase "
        "suggestion for that library (`fedcat ill purchase-suggestions`, /staff/demand)",
        _whole("FEDCAT_PURCHASE_MIN_REQUESTS", 1, 1000, "requests"),
    ),
    Setting(
        "smtp_host",
        "FEDCAT_SMTP_HOST",
        "",
        "host name",
        "the SMTP server for request mail (none: mail stays queued in the outbox)",
        str.strip,
        shown_default="(none)",
    ),
    Setting(
        "smtp_port",
        "FEDCAT_SMTP_PORT",
        "25",
        "1 to 65535",
        "the SMTP server's port",
        _whole("FEDCAT_SMTP_PORT", 1, 65535, "port"),
    ),
    Setting(
        "smtp_from",
        "FEDCAT_SMTP_FROM",
        "fedcat@localhost",
        "e-mail address",
        "the sender of request mail",
        str.strip,
    ),
    Setting(
        "copy_days",
        "FEDCAT_COPY_DAYS",
        "14",
        "1 to 60",
        "days a patron may download a copy (scan) before its file is deleted",
        _days("FEDCAT_COPY_DAYS"),
    ),
    Setting(
        "copy_limit",
        "FEDCAT_COPY_LIMIT",
        "5",
        "1 to 1000",
        "copies a year per journal (its last five years) per borrowing library before staff "
        "are warned (CONTU rule of five)",
        _whole("FEDCAT_COPY_LIMIT", 1, 1000, "copies"),
    ),
    Setting(
        "copy_max_mb",
        "FEDCAT_COPY_MAX_MB",
        "20",
        "1 to 500",
        "largest scan a lender may upload, in MB (with room for its form, the largest "
        "request body)",
        _whole("FEDCAT_COPY_MAX_MB", 1, 500, "MB"),
    ),
    Setting(
        "max_removal",
        "FEDCAT_MAX_REMOVAL",
        f"{DEFAULT_MAX_REMOVAL:g}",
        "percent, 0 to 100",
        "share of a partner's records a full harvest may remove before it holds the removal "
        "for the operator (fedcat harvest --allow-removal; partners.toml max_removal per "
        "partner)",
        _percent("FEDCAT_MAX_REMOVAL"),
    ),
    Setting(
        "web_workers",
        "FEDCAT_WEB_WORKERS",
        "2",
        "1 to 64",
        "processes of fedcat serve (gunicorn workers; about 2 per core); the rate limit "
        "counts in each",
        _whole("FEDCAT_WEB_WORKERS", 1, 64, "processes"),
    ),
    Setting(
        "web_threads",
        "FEDCAT_WEB_THREADS",
        "4",
        "1 to 64",
        "threads per process of fedcat serve: requests each process answers at once",
        _whole("FEDCAT_WEB_THREADS", 1, 64, "threads"),
    ),
    Setting(
        "web_timeout",
        "FEDCAT_WEB_TIMEOUT",
        "30",
        "seconds, 5 to 3600",
        "a worker of fedcat serve silent this long (a request stuck) is replaced",
        _whole("FEDCAT_WEB_TIMEOUT", 5, 3600, "seconds"),
    ),
    Setting(
        "web_graceful_timeout",
        "FEDCAT_WEB_GRACEFUL_TIMEOUT",
        "20",
        "seconds, 1 to 3600",
        "on SIGTERM, how long fedcat serve lets requests in hand finish before it stops",
        _whole("FEDCAT_WEB_GRACEFUL_TIMEOUT", 1, 3600, "seconds"),
    ),
    Setting(
        "stale_days",
        "FEDCAT_STALE_DAYS",
        "7",
        "1 to 365",
        "days without a successful harvest before fedcat health flags a partner as stale",
        _whole("FEDCAT_STALE_DAYS", 1, 365, "days"),
    ),
    Setting(
        "quality_drop",
        "FEDCAT_QUALITY_DROP",
        "0.2",
        "share, above 0 to 1",
        "a fall this large, between harvest runs, in a partner's share of records with "
        "ISBN/ISSN, subjects, language or year, or of holdings with call numbers or statuses, "
        "is flagged by fedcat health",
        _fraction("FEDCAT_QUALITY_DROP"),
    ),
    Setting(
        "volume_change",
        "FEDCAT_VOLUME_CHANGE",
        "0.1",
        "share, above 0 to 1",
        "a harvest run in which a partner deletes more than this share of its records is "
        "flagged by fedcat health",
        _fraction("FEDCAT_VOLUME_CHANGE"),
    ),
    Setting(
        "operator_email",
        "FEDCAT_OPERATOR_EMAIL",
        "",
        "e-mail address",
        "the operator, mailed (through FEDCAT_SMTP_HOST) when a harvest leaves a partner "
        "newly flagged by fedcat health",
        _email_address("FEDCAT_OPERATOR_EMAIL"),
        shown_default="(none)",
    ),
    Setting(
        "metrics_token",
        "FEDCAT_METRICS_TOKEN",
        "",
        "text",
        "the bearer token /metrics asks for (Authorization: Bearer …); without one, /metrics "
        "answers loopback clients only",
        str.strip,
        shown_default="(none)",
    ),
    Setting(
        "password_cost",
        "FEDCAT_PASSWORD_COST",
        ",".join(str(n) for n in DEFAULT_PASSWORD_COST),
        "time,KiB,lanes",
        "argon2id cost of new PIN and password hashes (older hashes are redone at sign-in); "
        "the default is argon2-cffi's (RFC 9106 low-memory)",
        _password_cost,
    ),
    Setting(
        "ai_suggestions",
        "FEDCAT_AI_SUGGESTIONS",
        "5",
        "1 to 20",
        "machine-suggested subjects kept per work at most (fedcat ai suggest)",
        _whole("FEDCAT_AI_SUGGESTIONS", 1, 20, "suggestions"),
    ),
    Setting(
        "ai_after_harvest",
        "FEDCAT_AI_AFTER_HARVEST",
        "off",
        "on or off",
        "after each harvest, suggest subjects for works without any (reads every work, so "
        "it lengthens harvests of a large catalogue)",
        _on_off("FEDCAT_AI_AFTER_HARVEST"),
    ),
    Setting(
        "co_request_min",
        "FEDCAT_CO_REQUEST_MIN",
        "5",
        "2 to 1000",
        'distinct requesters a pair of works needs before "patrons who requested this also '
        'requested" shows it',
        _whole("FEDCAT_CO_REQUEST_MIN", 2, 1000, "requesters"),
    ),
    Setting(
        "delivery_min_sample",
        "FEDCAT_DELIVERY_MIN_SAMPLE",
        "5",
        "1 to 1000",
        "received loans a lender and borrowing library pair (then a lender) needs before its "
        'own median delivery time gives "about D days"; fewer fall back to the lender, then '
        "to the whole consortium",
        _whole("FEDCAT_DELIVERY_MIN_SAMPLE", 1, 1000, "loans"),
    ),
    Setting(
        "delivery_cache_seconds",
        "FEDCAT_DELIVERY_CACHE_SECONDS",
        "300",
        "0 to 86400",
        "seconds each web process keeps the delivery history (medians from request to "
        "received) before reading it again; 0 reads it for every page",
        _whole("FEDCAT_DELIVERY_CACHE_SECONDS", 0, 86400, "seconds"),
    ),
)


def from_environment(env: Mapping[str, str] | None = None) -> Settings:
    """The settings in `env` (default: the process environment), each read as SETTINGS says."""
    env = os.environ if env is None else env
    values = {s.field: s.parse(env.get(s.env, s.default)) for s in SETTINGS}
    return Settings(**values)


def markdown_table() -> str:
    """SETTINGS as the table in README.md and docs/operator-guide.md."""
    lines = ["| variable | default | type | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| `{s.env}` | `{s.documented_default}` | {s.kind} | {s.help} |" for s in SETTINGS]
    return "\n".join(lines)
