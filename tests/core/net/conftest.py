"""Helpers for the network tests: load an example module from examples/networks/."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

NETWORKS = Path(__file__).resolve().parents[3] / "examples" / "networks"


def load_example(name: str) -> ModuleType:
    """Import examples/networks/<name>.py under a private module name (once per test run)."""
    module_name = f"_ramify_net_example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, NETWORKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
