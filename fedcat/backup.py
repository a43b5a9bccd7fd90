"""Backing up and restoring a data directory (`fedcat backup DEST`, `fedcat restore SRC`).

Every SQLite file in the data directory is copied with SQLite's online backup API, so a
harvest or the web app may go on writing while the copy is taken: each file is a consistent
snapshot of its own (two files are not one snapshot together). Other files (run reports, the
secret key, copies waiting for their patron, subject models) are copied as they are. The
search index is not copied: it is derived from the record store, and `restore` rebuilds it
with whatever engine the restoring settings name — the same works under the same ids, on
tantivy or Elasticsearch alike. A manifest (`manifest.json`: format, fedcat version, time,
every file's size and SHA-256) lets `restore` refuse a backup that is incomplete, altered or
from a newer format before it touches the target. PostgreSQL (FEDCAT_DATABASE=postgresql://)
is backed up with pg_dump, not here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

MANIFEST = "manifest.json"
#: What `restore` understands; a backup with a higher number came from a newer fedcat.
FORMAT = 1
SQLITE_HEADER = b"SQLite format 3\x00"
#: Left out: the index (rebuilt on restore) and SQLite's own side files (the backup API
#: already folded their pages into each copy).
SKIPPED_DIRS = ("tantivy",)
SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup that cannot be taken or restored, with the file or check that failed."""


@dataclass(frozen=True)
class BackedUpFile:
    path: str  # relative to the data directory, '/'-separated
    kind: Literal["sqlite", "file"]
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    format: int
    fedcat_version: str
    created: str
    source: str
    files: tuple[BackedUpFile, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def _fedcat_version() -> str:
    try:
        return version("fedcat")
    except PackageNotFoundError:
        return "unknown"


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def data_files(data_dir: Path) -> Iterator[Path]:
    """The files a backup holds, sorted: everything but the index and SQLite side files."""
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if relative.parts[0] in SKIPPED_DIRS or not path.is_file():
            continue
        if path.name.endswith(SIDE_FILES) or path.name == MANIFEST:
            continue
        yield path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (readers and a writer may be at work on it)."""
    with sqlite3.connect(source, timeout=30) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
        # The copy stands alone: no WAL file goes with it, so it is kept in rollback mode.
        copy.execute("PRAGMA journal_mode=DELETE")
    live.close()
    copy.close()


def backup(data_dir: Path, dest: Path) -> Manifest:
    """Copy `data_dir` to the new directory `dest`, manifest last (so a backup cut short
    has none and is refused)."""
    if not (data_dir / "fedcat.sqlite").is_file():
        raise BackupError(f"{data_dir} holds no fedcat data (no fedcat.sqlite)")
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: a backup goes into a new directory")
    dest.mkdir(parents=True, exist_ok=True)
    files = []
    for path in data_files(data_dir):
        relative = path.relative_to(data_dir)
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        kind: Literal["sqlite", "file"] = "sqlite" if _is_sqlite(path) else "file"
        if kind == "sqlite":
            copy_sqlite(path, target)
        else:
            shutil.copy2(path, target)
        files.append(BackedUpFile(relative.as_posix(), kind, target.stat().st_size, sha256(target)))
    manifest = Manifest(
        FORMAT,
        _fedcat_version(),
        datetime.now(UTC).replace(microsecond=0).isoformat(),
        str(data_dir.resolve()),
        tuple(files),
    )
    (dest / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def read_manifest(src: Path) -> Manifest:
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} is not a fedcat backup (no {MANIFEST}; cut short?)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        files = tuple(BackedUpFile(**entry) for entry in raw.pop("files"))
        manifest = Manifest(files=files, **raw)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BackupError(f"{path} is not a readable manifest ({exc})") from None
    if not isinstance(manifest.format, int) or manifest.format > FORMAT:
        raise BackupError(
            f"{src} is backup format {manifest.format!r} (fedcat {manifest.fedcat_version}); "
            f"this fedcat restores format {FORMAT} and older"
        )
    return manifest


def verify(src: Path) -> Manifest:
    """The backup's manifest, once every file it lists is there, whole and unchanged."""
    manifest = read_manifest(src)
    if not any(f.path == "fedcat.sqlite" for f in manifest.files):
        raise BackupError(f"{src} holds no fedcat.sqlite: not a data directory's backup")
    for entry in manifest.files:
        path = src / entry.path
        if Path(entry.path).is_absolute() or ".." in Path(entry.path).parts:
            raise BackupError(f"{src}: the manifest names {entry.path!r}, outside the backup")
        if not path.is_file():
            raise BackupError(f"{src} lacks {entry.path}, which its manifest lists")
        if path.stat().st_size != entry.size or sha256(path) != entry.sha256:
            raise BackupError(f"{src}/{entry.path} does not match its checksum: altered or corrupt")
        if entry.kind == "sqlite":
            _check_sqlite(path)
    return manifest


def _check_sqlite(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a sound SQLite database ({exc})") from None
    if result != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")


def restore_files(src: Path, data_dir: Path, *, force: bool = False) -> Manifest:
    """Put a verified backup's files into `data_dir` (the index is the caller's to rebuild).

    A data directory that holds anything is refused unless `force`: then the backup's files
    replace their namesakes (with their WAL side files) and the old index is removed; files
    the backup does not hold are left.
    """
    manifest = verify(src)
    if data_dir.exists() and any(data_dir.iterdir()) and not force:
        raise BackupError(f"{data_dir} is not empty; restore there with --force to replace it")
    data_dir.mkdir(parents=True, exist_ok=True)
    for directory in SKIPPED_DIRS:
        shutil.rmtree(data_dir / directory, ignore_errors=True)
    for entry in manifest.files:
        target = data_dir / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in SIDE_FILES:
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copy2(src / entry.path, partial)
        os.replace(partial, target)
    return manifest
