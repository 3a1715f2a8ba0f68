"""Headless Chromium and local servers, as the site tests and the Binder rehearsal use them.

Debian's Chromium (``/usr/bin/chromium``) driven by Playwright: no browser is
ever downloaded (never run ``playwright install``). Used by
``tests/site/conftest.py`` (the built sites) and ``tools/binder_check.py``
(JupyterLab).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

#: Flags for a headless Chromium that stays offline and quiet.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_executable() -> Path | None:
    """Return Debian's Chromium, or None when it is not installed."""
    path = Path(shutil.which("chromium") or "/usr/bin/chromium")
    return path if path.exists() else None


def launch_chromium(playwright):
    """Launch headless Chromium with :data:`CHROMIUM_ARGS` through ``playwright``."""
    executable = chromium_executable()
    if executable is None:
        raise FileNotFoundError("Chromium is not installed: apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> bool:
    """Wait until ``proc`` listens on 127.0.0.1:``port``; False if it died or timed out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.1)
