"""Build step: the wheel carries the repository's root ``schema.sql`` inside the ``core`` package.

``schema.sql`` stays at the repository root (the layout asks for it); ``core/db.py`` reads it
with ``importlib.resources`` from an installed package and falls back to the root file in a
source checkout. Everything else about the project lives in pyproject.toml. The sdist carries
the root file through MANIFEST.in, so a wheel built from the sdist gets it too.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SCHEMA = "schema.sql"


class build_py_with_schema(build_py):  # noqa: N801  (setuptools command naming)
    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / SCHEMA
        target = Path(self.build_lib) / "core" / SCHEMA
        target.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(source), str(target))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / "core" / SCHEMA)]


setup(cmdclass={"build_py": build_py_with_schema})
