"""Where fedcat keeps its state and which engine it uses, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("tantivy", "elasticsearch")
REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    engine: str = "tantivy"
    es_url: str = "http://127.0.0.1:9200"
    es_index: str = "fedcat-works"
    partners_file: Path = REPO_ROOT / "config" / "partners.toml"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "tantivy"

    @property
    def state_db(self) -> Path:
        """The SQLite file with harvest checkpoints, run reports and the record store."""
        return self.data_dir / "fedcat.sqlite"


def from_environment(env: dict[str, str] | None = None) -> Settings:
    """FEDCAT_DATA_DIR, FEDCAT_ENGINE, FEDCAT_ES_URL, FEDCAT_ES_INDEX, FEDCAT_PARTNERS."""
    env = os.environ if env is None else env
    engine = env.get("FEDCAT_ENGINE", "tantivy")
    if engine not in ENGINES:
        raise SettingsError(f"FEDCAT_ENGINE={engine!r}: choose one of {', '.join(ENGINES)}")
    return Settings(
        data_dir=Path(env.get("FEDCAT_DATA_DIR", REPO_ROOT / "data")),
        engine=engine,
        es_url=env.get("FEDCAT_ES_URL", "http://127.0.0.1:9200"),
        es_index=env.get("FEDCAT_ES_INDEX", "fedcat-works"),
        partners_file=Path(env.get("FEDCAT_PARTNERS", REPO_ROOT / "config" / "partners.toml")),
    )
