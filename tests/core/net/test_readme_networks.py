"""The README's "Agent networks" example runs as printed and opens in the IDE."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ramify.tui.agent_loader import load_agent_spec

ROOT = Path(__file__).resolve().parents[3]


def _example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Agent networks\n")
    end = readme.find("\n## ", start + 1)
    (block,) = re.findall(r"^```python\n(.*?)^```$", readme[start:end], re.MULTILINE | re.DOTALL)
    return block


def test_the_readme_network_runs_and_prints_its_messages(tmp_path: Path) -> None:
    game = tmp_path / "game.py"
    game.write_text(_example(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(game)], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == (
        "['b->a: ping', 'a->b: pong', 'b->a: ping', 'a->b: pong', "
        "'game->: stopped: reached 4 messages']"
    )
    assert load_agent_spec(f"{game}:network").alias == "game"
