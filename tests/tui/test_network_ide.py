"""A network opened in the IDE: the user's message goes to the entry actor, every message
streams in its sender's one pane for the run, and the branch ends at the network's last message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.message import Message as TextualMessage

from ramify.core import USER, Message, SQLiteStore, Store
from ramify.core.net import Actor, NetMessage, Network
from ramify.tui.agent_loader import load_agent_spec
from ramify.tui.events import StreamOpened
from ramify.tui.view_models import MessageView
from ramify.tui.widgets.message_view import message_header
from ramify.tui.widgets.stream_pane import StreamPane
from tests.core.net.conftest import NETWORKS
from tests.tui.ide import ide, send

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "net.db") as opened:
        yield opened


async def test_the_contract_net_runs_in_the_ide_and_its_tree_is_the_protocol(
    store: Store,
) -> None:
    network = load_agent_spec(f"{NETWORKS / 'contract_net.py'}:network")
    async with ide(store, network) as (app, pilot):
        opened: list[str] = []
        finished: dict[str, str] = {}
        post = app.post_message

        def recording_post(message: TextualMessage) -> bool:
            if isinstance(message, StreamOpened):
                opened.append(message.agent_alias)
            if isinstance(message, StreamPane.Finished):
                finished[message.pane.state.agent_alias] = message.text
            return post(message)

        app.post_message = recording_post  # type: ignore[method-assign]
        await send(app, pilot, "Paint the fence")
        # One lasting pane per actor, named after it, opened as each first speaks.
        assert opened == ["manager", "contractor_1", "contractor_2", "contractor_3"]
        # The manager's successive messages all streamed into its one pane, in order.
        manager = finished["manager"]
        calls = [f"call for proposals: Paint the fence (to contractor_{i})" for i in (1, 2, 3)]
        assert manager.startswith("\n\n".join(calls))
        assert "accepted at" in manager
        assert manager.endswith("Done: Paint the fence: done")
        assert finished["contractor_1"].startswith("contractor_1: ")
        controller = app.controller
        assert controller is not None
        session = controller.session
        path = await session.path_messages("main")
        kinds = [type(message).__name__ for _, message in path]
        assert kinds == ["UserMessage", "CFP", "Propose", "Accept", "Inform", "NetMessage"]
        assert [node.sender for node, _ in path][:2] == [USER, "manager"]
        assert path[-1][1].text == "Done: Paint the fence: done"
        # The transcript says who said what to whom.
        headers = [str(message_header(view)) for view in await controller.views(0, 6)]
        assert headers[1].startswith("manager → contractor_")
        assert headers[-1].startswith("manager → USER")
        assert headers[0].startswith(f"{USER}  ")  # a chat message has no receiver
        # The tree pane's rows say it too: the three CFPs fork off the user's task.
        (root,) = await controller.tree_runs()
        assert root.snippet == "Paint the fence"
        labels = sorted(run.snippet for run in root.children)
        assert labels[0].startswith("manager → contractor_1: call for proposals")
        assert len(labels) == 3


def test_a_header_shows_the_receiver_literally() -> None:
    view = MessageView(node_hash="ab" * 32, sender="a", role="assistant", text="x", receiver="[b]")
    assert str(message_header(view)).startswith("a → [b]  ")


class _Thrower(Actor):
    def receive_user_message(self, message: Message) -> NetMessage:
        return NetMessage.reply_to(message, sender=self.name, receiver=self.name, text="again")

    def receive_net_message(self, message: NetMessage) -> None:
        raise RuntimeError("boom\nwith a second line")


async def test_a_failing_actor_is_one_error_line_in_the_transcript(store: Store) -> None:
    network = Network("n", [_Thrower("t")]).as_agent()
    async with ide(store, network) as (app, pilot):
        await send(app, pilot, "go")
        controller = app.controller
        assert controller is not None
        views = await controller.views(0, len(controller.path))
    last = views[-1]
    assert last.role == "error"
    assert last.text == "t failed: RuntimeError: boom with a second line"
    assert str(message_header(last)).startswith("t → t  ")
