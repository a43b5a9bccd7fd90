"""Where fedcat keeps its state, which engine it uses and how it serves, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("tantivy", "elasticsearch")
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Requests per client to /api/ within a window: generous for a patron or a partner's widget,
#: a brake on a script hammering the engine. Several limits may be joined with ';'.
DEFAULT_RATE_LIMIT = "300/minute"
#: Harvested records applied, committed and checkpointed together (each batch is one engine
#: commit; 2000 cost ~75 MiB more than 1000 for no clear gain in bench/harvest.py).
DEFAULT_BATCH_SIZE = 1000
#: Seconds the web app waits for Elasticsearch before answering 503 (FEDCAT_ES_TIMEOUT).
DEFAULT_ES_TIMEOUT = 10.0
#: What `fedcat serve` logs per request: nothing, method + path + status (the default: no
#: client address, no query string), or werkzeug's full line with both (operator's opt-in).
ACCESS_LOGS = ("off", "anonymous", "full")
_OFF = ("", "off", "none", "0", "false", "no")


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    engine: str = "tantivy"
    es_url: str = "http://127.0.0.1:9200"
    es_index: str = "fedcat-works"
    es_timeout: float = DEFAULT_ES_TIMEOUT
    partners_file: Path = REPO_ROOT / "config" / "partners.toml"
    #: per-client limit on /api/ requests (Flask-Limiter syntax), or None for no limit
    rate_limit: str | None = DEFAULT_RATE_LIMIT
    access_log: str = "anonymous"
    #: reverse proxies in front of the app whose X-Forwarded-For is believed (0: none, the
    #: header is ignored, so a client cannot pose as another to dodge the rate limit)
    trusted_proxies: int = 0

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "tantivy"

    @property
    def state_db(self) -> Path:
        """The SQLite file with harvest checkpoints, run reports and the record store."""
        return self.data_dir / "fedcat.sqlite"


def from_environment(env: dict[str, str] | None = None) -> Settings:
    """FEDCAT_DATA_DIR, FEDCAT_ENGINE, FEDCAT_ES_URL, FEDCAT_ES_INDEX, FEDCAT_ES_TIMEOUT,
    FEDCAT_PARTNERS, FEDCAT_RATE_LIMIT, FEDCAT_ACCESS_LOG, FEDCAT_TRUSTED_PROXIES."""
    env = os.environ if env is None else env
    engine = env.get("FEDCAT_ENGINE", "tantivy")
    if engine not in ENGINES:
        raise SettingsError(f"FEDCAT_ENGINE={engine!r}: choose one of {', '.join(ENGINES)}")
    access_log = env.get("FEDCAT_ACCESS_LOG", "anonymous").strip().lower()
    if access_log not in ACCESS_LOGS:
        raise SettingsError(
            f"FEDCAT_ACCESS_LOG={access_log!r}: choose one of {', '.join(ACCESS_LOGS)}"
        )
    return Settings(
        data_dir=Path(env.get("FEDCAT_DATA_DIR", REPO_ROOT / "data")),
        engine=engine,
        es_url=env.get("FEDCAT_ES_URL", "http://127.0.0.1:9200"),
        es_index=env.get("FEDCAT_ES_INDEX", "fedcat-works"),
        es_timeout=_seconds(env, "FEDCAT_ES_TIMEOUT", DEFAULT_ES_TIMEOUT),
        partners_file=Path(env.get("FEDCAT_PARTNERS", REPO_ROOT / "config" / "partners.toml")),
        rate_limit=rate_limit(env.get("FEDCAT_RATE_LIMIT", DEFAULT_RATE_LIMIT)),
        access_log=access_log,
        trusted_proxies=_count(env, "FEDCAT_TRUSTED_PROXIES"),
    )


def _seconds(env, name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0.1 <= seconds <= 300:
        raise SettingsError(f"{name}={value!r}: a number of seconds from 0.1 to 300")
    return seconds


def _count(env, name: str) -> int:
    value = env.get(name, "0").strip() or "0"
    if not (value.isascii() and value.isdigit()) or int(value) > 10:
        raise SettingsError(f"{name}={value!r}: a whole number from 0 to 10")
    return int(value)


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
