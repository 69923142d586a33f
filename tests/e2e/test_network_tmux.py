"""`ramify examples/networks/contract_net.py:network` in a real terminal: the network opens,
runs on what the user types, and its conversation is saved as a tree."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ramify.core import USER, Session, SQLiteStore
from tests.core.net.conftest import load_example
from tests.e2e.terminal import TMUX
from tests.e2e.test_tmux import RamifyCommand, ramify  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

CONTRACT_NET = Path(__file__).resolve().parents[2] / "examples" / "networks" / "contract_net.py"


@pytest.mark.timeout(90)
def test_the_contract_net_opens_runs_and_is_saved_in_a_real_terminal(
    ramify: RamifyCommand,  # noqa: F811
) -> None:
    terminal = ramify.start(f"{CONTRACT_NET}:network")
    terminal.wait_for("⑂ main", "the path bar")
    terminal.type("Paint the fence")
    terminal.wait_for("▊ Paint the fence", "the message in the composer")
    terminal.press("Enter")
    # The report streams into its pane, then settles into the transcript under a header that
    # reads sender → receiver; the tree's row for it may come before or after: wait for both.
    terminal.wait_for(
        lambda screen: "Done: Paint the fence: done" in screen and "█ manager → USER" in screen,
        "the manager's report, settled under its sender → receiver header",
    )
    terminal.press("C-q")
    assert terminal.wait_for_exit() == 0, terminal.screen()
    assert "Traceback" not in terminal.screen()

    load_example("contract_net")  # its message classes, to read the saved messages back as such

    async def saved() -> list[tuple[str, str]]:
        async with SQLiteStore(ramify.database) as store:
            (record,) = await store.list_sessions()
            session = await Session.open(store, record.id)
            path = await session.path_messages("main")
            return [(node.sender, type(message).__name__) for node, message in path]

    assert asyncio.run(saved()) == [
        (USER, "UserMessage"),
        ("manager", "CFP"),
        ("contractor_3", "Propose"),
        ("manager", "Accept"),
        ("contractor_3", "Inform"),
        ("manager", "NetMessage"),
    ]
