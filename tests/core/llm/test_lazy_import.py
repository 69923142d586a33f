"""Importing Ramify's core must not load the provider SDKs (about 1.2 s of start-up)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_importing_core_llm_and_testing_leaves_sdks_unloaded() -> None:
    code = (
        "import ramify.core, ramify.core.llm, ramify.core.testing, sys; "
        "import ramify.tui, ramify.tui.cli; "
        "loaded = [m for m in ('openai', 'anthropic', 'httpx2') if m in sys.modules]; "
        "print(','.join(loaded))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=True
    )
    assert done.stdout.strip() == ""
