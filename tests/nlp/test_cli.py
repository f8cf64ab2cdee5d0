"""`python -m nlp` run as a real subprocess, as an operator would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_nlp(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nlp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
    )


def test_classify_reads_and_writes_json_lines() -> None:
    lines = ['{"text": "3单元电梯又坏了，困人了"}', '{"text": "收到，谢谢"}', '{"text": null}']
    result = run_nlp("classify", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["category"] for record in records] == ["repair", "none", "none"]
    assert records[0]["text"] == "3单元电梯又坏了，困人了"
    assert records[0]["terms"] == ["电梯", "又", "坏了", "困人"]
    assert records[0]["confidence"] >= 0.75
    assert records[1] == {"text": "收到，谢谢", "category": "none", "confidence": 0.0, "terms": []}
    assert "3单元电梯" in result.stdout  # ensure_ascii=False


def test_classify_reports_bad_lines_and_continues() -> None:
    stdin = '{"text": "楼上天天半夜剁肉吵死了"}\nnot json\n\n["a list"]\n{"text": 5}\n{"text": "好的"}\n'
    result = run_nlp("classify", stdin=stdin)
    assert result.returncode == 1
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["楼上天天半夜剁肉吵死了", "好的"]
    assert "line 2: invalid JSON" in result.stderr
    assert 'line 4: expected a JSON object with a "text" field' in result.stderr
    assert "line 5:" in result.stderr
    assert "3 bad input line(s)" in result.stderr


def test_eval_on_the_dev_set_prints_all_figures() -> None:
    result = run_nlp("eval", "tests/data/requests_dev.jsonl")
    assert result.returncode == 0, result.stderr
    for expected in ("precision", "recall", "repair", "dispute", "sanitation", "macro-F1", "confusion"):
        assert expected in result.stdout
    assert "chatter false-positive rate" in result.stdout


def test_eval_reads_tsv_and_drops_skip_rows(tmp_path: Path) -> None:
    tsv = tmp_path / "mini.tsv"
    tsv.write_text(
        "label\ttext\nrepair\t电梯又坏了，困人了\nnone\t收到\nskip\t说不清的一行\ndispute\t楼上装修噪音太大了\n",
        encoding="utf-8",
    )
    result = run_nlp("eval", str(tsv), "--errors")
    assert result.returncode == 0, result.stderr
    assert "rows 3" in result.stdout
    assert "macro-F1  1.000" in result.stdout


def test_eval_missing_file_is_a_one_line_error() -> None:
    result = run_nlp("eval", "tests/data/requests_dev.jsonl", "no/such/file.jsonl")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: no/such/file.jsonl: no such file"]
    assert result.stdout == ""


def test_eval_rejects_unknown_labels(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "电梯坏了", "label": "elevator"}\n', encoding="utf-8")
    result = run_nlp("eval", str(bad))
    assert result.returncode == 2
    assert "bad.jsonl:1: unknown label 'elevator'" in result.stderr
