"""Command line: ``python -m nlp classify`` and ``python -m nlp eval FILE...``.

Both use ``nlp.classify``, the same function and default rules the bot uses.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from nlp.classifier import classify, default_classifier
from nlp.evaluate import LABELS, evaluate, format_report

SKIP_LABEL = "skip"


class DataError(Exception):
    """A labelled file is missing or malformed; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled row."""

    text: str
    label: str
    source: str  # "file:line"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    _use_utf8()
    args = _parser().parse_args(argv)
    if args.command == "classify":
        return run_classify(sys.stdin, sys.stdout, sys.stderr)
    return run_eval([Path(name) for name in args.files], args.errors, sys.stdout, sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nlp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "classify",
        help='read JSON lines {"text": ...} on stdin, write one classification per line',
    )
    evaluation = commands.add_parser("eval", help="score labelled files: JSONL ({text, label}) or TSV (label<TAB>text)")
    evaluation.add_argument("files", nargs="+", metavar="FILE")
    evaluation.add_argument("--errors", action="store_true", help="also list every misclassified row")
    return parser


def run_classify(stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Classify JSON lines; report bad lines on stderr and return 1 if there were any."""
    bad_lines = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            text = _text_of(line)
        except ValueError as error:
            bad_lines += 1
            print(f"error: line {number}: {error}", file=stderr)
            continue
        result = classify(text)
        record = {
            "text": text,
            "category": result.category,
            "confidence": result.confidence,
            "terms": list(result.terms),
        }
        print(json.dumps(record, ensure_ascii=False), file=stdout)
    if bad_lines:
        print(f"error: {bad_lines} bad input line(s) skipped", file=stderr)
    return 1 if bad_lines else 0


def _text_of(line: str) -> str | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict) or "text" not in record:
        raise ValueError('expected a JSON object with a "text" field')
    text = record["text"]
    if text is not None and not isinstance(text, str):
        raise ValueError(f'"text" must be a string or null, got {type(text).__name__}')
    return text


def run_eval(paths: Sequence[Path], show_errors: bool, stdout: TextIO, stderr: TextIO) -> int:
    """Evaluate the default classifier on labelled files; exit code 2 on missing or bad files."""
    try:
        examples = [example for path in paths for example in read_labelled(path)]
    except DataError as error:
        print(f"error: {error}", file=stderr)
        return 2
    if not examples:
        print("error: no labelled rows in the given files", file=stderr)
        return 2
    results = [classify(example.text) for example in examples]
    report = evaluate([example.label for example in examples], [result.category for result in results])
    print(f"files: {', '.join(str(path) for path in paths)}", file=stdout)
    print(format_report(report), file=stdout)
    if show_errors:
        print("\nmisclassified rows (evidence from Classifier.explain):", file=stdout)
        for example, result in zip(examples, results, strict=True):
            if result.category != example.label:
                evidence = default_classifier().explain(example.text)
                print(
                    f"{example.source}  {example.label} -> {result.category}  "
                    f"{evidence.confidence:.2f} [{' '.join(evidence.terms)}]  {example.text[:80]!r}",
                    file=stdout,
                )
    return 0


def read_labelled(path: Path) -> list[Example]:
    """Rows of a JSONL or TSV (by suffix) labelled file, without ``skip`` rows."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with path.open(encoding="utf-8") as handle:
        parse = _tsv_rows if path.suffix.lower() in {".tsv", ".tab"} else _jsonl_rows
        examples = list(_checked(parse(handle, str(path))))
    return [example for example in examples if example.label != SKIP_LABEL]


def _jsonl_rows(lines: Iterable[str], name: str) -> Iterator[Example]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        source = f"{name}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{source}: invalid JSON ({error.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("label"), str):
            raise DataError(f'{source}: expected an object with "text" and "label" strings')
        text = record.get("text")
        if text is not None and not isinstance(text, str):
            raise DataError(f'{source}: "text" must be a string')
        yield Example(text or "", record["label"], source)


def _tsv_rows(lines: Iterable[str], name: str) -> Iterator[Example]:
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip() or (number == 1 and line.lower().startswith("label\t")):
            continue
        label, tab, text = line.partition("\t")
        if not tab:
            raise DataError(f"{name}:{number}: expected label<TAB>text")
        yield Example(text, label.strip(), f"{name}:{number}")


def _checked(examples: Iterable[Example]) -> Iterator[Example]:
    for example in examples:
        if example.label not in LABELS and example.label != SKIP_LABEL:
            expected = ", ".join((*LABELS, SKIP_LABEL))
            raise DataError(f"{example.source}: unknown label {example.label!r} (expected one of {expected})")
        yield example


def _use_utf8() -> None:
    """Chinese text in and out regardless of the locale the CLI runs under."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
