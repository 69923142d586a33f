"""Port a program's import lines from another framework to `ramify.compat`.

Only import statements change; everything else in the source is kept byte for byte.
"""

from __future__ import annotations

import re

__all__ = ["port_miniagents_imports", "unported_imports"]

_TARGET = "ramify.compat.miniagents"

# `from miniagents import x` / `from miniagents.ext import y` (any indentation).
_FROM = re.compile(
    r"^(?P<indent>[ \t]*)from[ \t]+miniagents(?P<rest>(?:\.[\w.]+)?[ \t]+import\b)", re.M
)
# `import miniagents`, `import miniagents as m`, `import miniagents.ext[ as e]`.
_IMPORT = re.compile(
    r"^(?P<indent>[ \t]*)import[ \t]+miniagents(?P<sub>(?:\.[\w.]+)?)"
    r"(?P<alias>[ \t]+as[ \t]+\w+)?[ \t]*$",
    re.M,
)


def _port_import(match: re.Match[str]) -> str:
    indent, sub, alias = match["indent"], match["sub"], match["alias"]
    if alias:
        return f"{indent}import {_TARGET}{sub}{alias}"
    if not sub:
        return f"{indent}import {_TARGET} as miniagents"
    # `import miniagents.ext` binds `miniagents` with the submodule loaded as an attribute.
    return f"{indent}import {_TARGET}{sub}; from ramify.compat import miniagents"


def port_miniagents_imports(source: str) -> str:
    """`source` with every ``miniagents`` import pointing at `ramify.compat.miniagents`."""
    ported = _FROM.sub(lambda m: f"{m['indent']}from {_TARGET}{m['rest']}", source)
    return _IMPORT.sub(_port_import, ported)


def unported_imports(source: str) -> list[str]:
    """Import lines that still name the real ``miniagents`` package (should be none)."""
    pattern = re.compile(r"^[ \t]*(?:from|import)[ \t]+miniagents\b.*$", re.M)
    return pattern.findall(source)
