"""The README's "Typed messages" example runs and prints what its comment says."""

from __future__ import annotations

import contextlib
import io
import re
import runpy
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_typed_messages_example_prints_what_it_says(tmp_path: Path) -> None:
    start = README.index("\n## Typed messages\n")
    section = README[start : README.index("\n## ", start + 1)]
    (code,) = re.findall(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    promised = re.search(r"print\(bid\)  # (.*)$", code, re.MULTILINE)
    assert promised is not None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        script = tmp_path / "typed_messages.py"
        script.write_text(code, encoding="utf-8")
        runpy.run_path(str(script), run_name="readme_typed_messages")
    assert printed.getvalue() == promised.group(1) + "\n"
