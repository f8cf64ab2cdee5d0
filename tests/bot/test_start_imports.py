"""What a bot process imports before it is ready: nothing that only some requests need (a start costs time and
memory in every process; benchmarks/startup.py measures it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from sqlmodel import SQLModel

import models  # noqa: F401 - every table module, for the mapper registry
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_PAGES = (
    "jinja2",
    "bot.console.web",
    "handlers.console.audit",
    "handlers.console.charts",
    "handlers.console.exports",
    "handlers.console.pages",
)
"""The console's pages, loaded at its first request (its routes are registered at start)."""


def imported_at_start(*names: str) -> list[str]:
    """Which of `names` `python -m bot run` has imported once its modules and the classifier are loaded."""
    code = (
        "import sys, bot.__main__, bot.cli, bot.app; from nlp.classifier import default_classifier; "
        f"default_classifier(); print([m for m in {names!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return ast.literal_eval(result.stdout)


def test_the_app_and_its_classifier_load_without_openpyxl_jieba_pkg_resources_alembic_or_yaml() -> None:
    assert imported_at_start("openpyxl", "jieba", "pkg_resources", "alembic", "yaml") == []


WECOM = ("bot.wecom.app", "bot.wecom.callbacks", "bot.wecom.photos", "bot.wecom_crypto", "xml.etree.ElementTree")
"""WeCom's parts, loaded when WeCom is configured (or for a `wecom` command)."""


def test_the_app_loads_without_wecom_when_wecom_is_off() -> None:
    assert imported_at_start(*WECOM) == []


def test_wecom_loads_when_it_is_configured() -> None:
    """The check above would pass for a misspelt name: each is a module a start with WeCom on loads."""
    code = f"""
import asyncio, sys
from bot.app import photo_port, start_wecom
from bot.config import Settings

async def main():
    app = dict(wecom_corp_id="ww1", wecom_app_secret="s", wecom_agent_id=1, wecom_app_token="t")
    settings = Settings(_env_file=None, wecom_app_aes_key="k" * 43, **app)
    parts = start_wecom(settings, None)
    photo_port(None, parts)
    await parts.api.close()

asyncio.run(main())
print([m for m in {WECOM!r} if m not in sys.modules])
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_the_tables_validators_are_built_at_first_use() -> None:
    """pydantic builds a table's schema when a row is first validated or dumped, not for every table at import."""
    code = (
        "import bot.app; from models.tickets import Ticket; from models.people import Person; "
        "before = Ticket.__pydantic_complete__; Person(display_name='x').model_dump(); "
        "print([before, Ticket.__pydantic_complete__, Person.__pydantic_complete__])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert ast.literal_eval(result.stdout) == [False, False, True]


def test_the_app_loads_without_the_console_pages_or_jinja2() -> None:
    assert imported_at_start(*CONSOLE_PAGES) == []


def test_the_console_pages_load_at_all() -> None:
    """The check above would pass for a misspelt name: each is a module the console's first request loads."""
    code = f"import sys, bot.console.web; print([m for m in {CONSOLE_PAGES!r} if m not in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_the_tables_and_settings_annotations_are_evaluated_when_their_classes_are_made() -> None:
    """A table's annotations given as strings (`from __future__ import annotations`) are evaluated again by pydantic
    and by SQLAlchemy's declarative scan, each its own way: for the 56 tables that cost ~6 % of a start's
    instructions (decision 0028). The modules that define tables, and the settings, write them as objects."""
    classes = [mapper.class_ for mapper in SQLModel._sa_registry.mappers] + [Settings]
    postponed = [
        cls.__name__ for cls in classes if any(isinstance(a, str) for a in vars(cls)["__annotations__"].values())
    ]
    assert len(classes) > 50
    assert postponed == []
