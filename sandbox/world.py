"""The sandbox's world kept on disk beside its database, so a restart continues where the last run stopped.

The world is what the built-in Bot API knows (chats, members, every message shown on the page, counters and
updates not yet confirmed). It is saved on every change, before the bot or the page hears of it, by writing a
new file and renaming it over the old one: a run killed at any moment leaves the previous or the new world,
never half of one. Files (photos, exports) are written once each, beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import structlog

from bot.config import sqlite_path
from sandbox.server import LocalBotApi

log = structlog.get_logger(__name__)


def world_path_for(database_url: str, data_dir: Path = Path("data")) -> Path:
    """``data/linli.db`` → ``data/linli.sandbox.json``; another database gets a file of its own under ``data/``."""
    path = sqlite_path(database_url)
    if path is not None:
        return path.with_name(f"{path.stem}.sandbox.json")
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return data_dir / f"sandbox-{digest}.json"


class SandboxWorld:
    """Loads the world into a LocalBotApi at start and saves it whenever it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files = path.with_name(f"{path.stem}-files")
        self._saved_files: set[str] = set()

    def load_into(self, api: LocalBotApi) -> bool:
        """Restore a saved world; False when there is none (a first start)."""
        if not self.path.is_file():
            return False
        state = json.loads(self.path.read_text(encoding="utf-8"))
        api.restore_world(state, lambda file_id: (self.files / file_id).read_bytes())
        self._saved_files = {meta["file_id"] for meta in state["files"]}
        log.info("sandbox.world_restored", messages=len(state["messages"]), chats=len(state["chats"]))
        return True

    def keep(self, api: LocalBotApi) -> None:
        """Save now and after every change from here on."""
        api.on_change = lambda: self.save(api)
        self.save(api)

    def save(self, api: LocalBotApi) -> None:
        state = api.world_state()
        self._save_new_files(api, [meta["file_id"] for meta in state["files"]])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.partial")
        partial.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.path)

    def _save_new_files(self, api: LocalBotApi, file_ids: list[str]) -> None:
        for file_id in file_ids:
            if file_id in self._saved_files:
                continue
            self.files.mkdir(parents=True, exist_ok=True)
            partial = self.files / f"{file_id}.partial"
            partial.write_bytes(api.file_bytes(file_id))
            os.replace(partial, self.files / file_id)
            self._saved_files.add(file_id)
