"""Build hook: the workbench's front-end assets ship inside the package.

``make assets`` (``npm ci``) installs htmx, Swagger UI and ReDoc from the npm registry, pinned by
package-lock.json; building the package (``pip wheel .``) copies the files the app serves
(``arrears.web.assets.NPM_ASSETS``) into ``arrears/web/vendor/`` in the build, so an installed
``arrears serve`` has them without a checkout. Nothing is copied into git.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _npm_assets() -> dict[str, tuple[str, str]]:
    # The one list the app serves from, read from its file (no import of the package itself).
    spec = importlib.util.spec_from_file_location("_assets", ROOT / "src/arrears/web/assets.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.NPM_ASSETS)


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        vendor = Path(self.build_lib) / "arrears" / "web" / "vendor"
        vendor.mkdir(parents=True, exist_ok=True)
        missing = []
        for name, (package, inner) in _npm_assets().items():
            source = ROOT / "node_modules" / package / inner
            if source.exists():
                shutil.copyfile(source, vendor / name)
            else:
                missing.append(f"{package}/{inner}")
        if "htmx.org/dist/htmx.min.js" in missing:
            # Without htmx the live pre-check and the script panel silently do nothing.
            raise SystemExit("node_modules/htmx.org missing: run `make assets` before building")


setup(cmdclass={"build_py": BuildWithAssets})
