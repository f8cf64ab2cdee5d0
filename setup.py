"""Build step beside pyproject.toml: compile the classifier's hot path with mypyc.

``nlp/classifier.py`` and ``nlp/normalize.py`` run on every chat message; mypyc turns these typed
modules into C extensions (about 1.7x faster, identical results; docs/decisions/0008). The Python
sources stay the single source of truth. Set LINLI_PURE_PYTHON=1 to install without a C compiler:
everything works the same, only the classifier is slower.
"""

import os

from setuptools import setup

COMPILED_MODULES = ["nlp/classifier.py", "nlp/normalize.py", "nlp/trie.py"]


def compiled_extensions() -> list:
    """The mypyc extensions, or none when LINLI_PURE_PYTHON is set."""
    if os.environ.get("LINLI_PURE_PYTHON"):
        return []
    from mypyc.build import mypycify

    # "--config-file=" keeps the project's mypy settings (and their pydantic plugin) out of the build.
    return mypycify(["--config-file=", "--ignore-missing-imports", *COMPILED_MODULES], group_name="linli_nlp")


setup(ext_modules=compiled_extensions())
