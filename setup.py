"""Build step: a wheel carries the repository's migrations/ and static/ inside the package.

The folders stay at the top level of the repository; building copies them into the
package as `forum/_migrations` and `forum/_static`, where forum.settings.resource_dir finds them
once installed. An editable install (`pip install -e .`) copies nothing: it keeps using
the checkout's folders, so edits to them take effect at once. Everything else about the
project is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# Top-level folder -> its name inside the package (the same table as forum/settings.py).
BUNDLED = {"migrations": "_migrations", "static": "_static"}


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for source, target in BUNDLED.items():
            origin = HERE / source
            if not origin.is_dir():
                # A wheel without them installs but cannot migrate or serve the site.
                raise FileNotFoundError(f"{origin} is missing: the wheel would be built without it")
            destination = Path(self.build_lib) / "forum" / target
            # A fresh copy each time, so files deleted from the checkout leave the build too.
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(origin, destination, ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"))


setup(cmdclass={"build_py": BuildPyWithResources})
