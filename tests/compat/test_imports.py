"""Importing the compat layer loads neither Textual nor a provider SDK."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_importing_every_compat_module_leaves_textual_and_sdks_unloaded() -> None:
    code = (
        "import sys, pkgutil, importlib, ramify.compat as c; "
        "names = [m.name for m in pkgutil.walk_packages(c.__path__, 'ramify.compat.')]; "
        "[importlib.import_module(name) for name in names]; "
        "loaded = [m for m in ('textual', 'openai', 'anthropic') if m in sys.modules]; "
        "print(len(names), ','.join(loaded))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=True
    )
    count, _, loaded = done.stdout.strip().partition(" ")
    assert int(count) >= 20
    assert loaded == ""
