"""A wheel built from the repo, installed in a fresh virtual environment, serves the workbench
with htmx (issue 18: outside the Makefile ``/assets/htmx.min.js`` was a 404, and the live
pre-check and the script panel silently did nothing). The build copies the npm assets into the
package (setup.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs
    )  # type: ignore[call-overload]
    assert done.returncode == 0, done.stderr[-2000:]
    return done  # type: ignore[no-any-return]


def test_a_wheel_installed_in_a_fresh_venv_serves_htmx(tmp_path: Path) -> None:
    if not (ROOT / "node_modules" / "htmx.org").exists():
        pytest.fail("node_modules missing: `make assets` (npm ci) installs the front-end assets")
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", wheels, cwd=ROOT)
    wheel = next(wheels.glob("arrears-*.whl"))

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    # The fresh venv sees the shared dependencies (not the editable arrears: a .pth names a
    # directory, whose own .pth files are not processed), and gets arrears from the wheel only.
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        ).stdout.strip()
    )
    (site / "shared-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # Nothing of the checkout on the path: pip would find arrears "already installed" there.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("ARREARS_") and k != "PYTHONPATH"
    }
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "-q",
        wheel,
        env=env,
    )

    env["ARREARS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'arrears.db'}"
    where = _run(python, "-c", "import arrears; print(arrears.__file__)", env=env, cwd=tmp_path)
    assert where.stdout.strip().startswith(str(venv)), where.stdout
    _run(venv / "bin" / "arrears", "db", "upgrade", env=env, cwd=tmp_path)

    port = _free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "arrears"), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/sign-in", timeout=5) as answer:
                    sign_in = answer.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the installed server did not start")
                time.sleep(0.5)
        assert "/assets/htmx.min.js" in sign_in
        with urllib.request.urlopen(f"{base}/assets/htmx.min.js", timeout=10) as answer:
            assert answer.status == 200
            assert b"htmx" in answer.read(4096)
    finally:
        server.terminate()
        server.wait(timeout=20)
