"""What a bot process imports before it is ready: nothing that only some requests need (a start costs time and
memory in every process; benchmarks/startup.py measures it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_and_its_classifier_load_without_openpyxl_jieba_pkg_resources_or_alembic() -> None:
    code = (
        "import sys, bot.__main__, bot.cli, bot.app; from nlp.classifier import default_classifier; "
        "default_classifier(); "
        "print([m for m in ('openpyxl', 'jieba', 'pkg_resources', 'alembic') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
