"""The contract net example, flat and nested, in memory and recorded in a session."""

from __future__ import annotations

from pathlib import Path

from ramify.core import USER, MemoryStore, Ramify, Session, SQLiteStore, UserMessage
from ramify.core.net import NetMessage, Network
from ramify.core.runs import RunStatus
from ramify.tui.agent_loader import load_agent_spec

from .conftest import NETWORKS, load_example

cn = load_example("contract_net")


def _ancestry(message: NetMessage) -> list[str]:
    """The types above `message` up to the user's task, which must be the root."""
    names = []
    current = message.parent
    while isinstance(current, NetMessage) and current.sender != USER:
        names.append(type(current).__name__)
        current = current.parent
    assert current is not None, "the task is the root"
    assert current.parent is None, "the task is the root"
    return names


async def test_flat_contract_net_awards_the_cheapest_and_the_winner_informs() -> None:
    result = await cn.flat().run("Paint the fence")
    proposals = [m for m in result.messages if isinstance(m, cn.Propose)]
    assert len(proposals) == 3
    cheapest = min(proposals, key=lambda p: p.price)
    (accept,) = [m for m in result.messages if isinstance(m, cn.Accept)]
    assert accept.receiver == cheapest.sender
    assert accept.parent is cheapest
    rejects = [m for m in result.messages if isinstance(m, cn.Reject)]
    assert sorted(r.receiver for r in rejects) == sorted(
        p.sender for p in proposals if p is not cheapest
    )
    (inform,) = [m for m in result.messages if isinstance(m, cn.Inform)]
    assert inform.sender == cheapest.sender
    assert inform.receiver == "manager"
    assert _ancestry(inform) == ["Accept", "Propose", "CFP"]
    assert [m.receiver for m in result.outputs] == [USER]
    assert result.stop_reason is None
    assert result.errors == []


async def test_nested_contract_net_firm_wins_and_its_inform_answers_the_outer_accept() -> None:
    result = await cn.nested().run("Paint the fence")
    informs = [m for m in result.messages if isinstance(m, cn.Inform)]
    outer = [m for m in informs if m.sender == "firm"]
    assert len(outer) == 1
    inform = outer[0]
    assert inform.receiver == "manager"
    # Exactly CFP -> Propose -> Accept above it, all three at the outer level.
    assert _ancestry(inform) == ["Accept", "Propose", "CFP"]
    accept = inform.parent
    assert isinstance(accept, cn.Accept)
    assert accept.sender == "manager"
    assert accept.parent is not None
    assert accept.parent.sender == "firm"
    # The firm ran its own contract net inside: its subcontractors proposed and one informed.
    inner = [m for m in informs if m.receiver == "firm_lead"]
    assert len(inner) == 1
    assert inner[0].sender in {"painter", "mason"}


async def test_a_network_is_found_in_the_directory_by_what_it_can_receive() -> None:
    net = cn.nested()
    firm = net.directory["firm"]
    assert isinstance(firm, Network)
    # The manager takes any message (its `receive_message` fallback), so it is listed too.
    assert [a.name for a in net.directory.receivers(cn.CFP)] == [
        "manager",
        "contractor_1",
        "contractor_2",
        "firm",
    ]
    assert [a.name for a in net.directory.receivers(cn.Inform)] == ["manager", "firm"]
    assert not net.directory["contractor_1"].can_receive(cn.Inform)


async def _recorded(store: MemoryStore | SQLiteStore) -> tuple[Session, object]:
    session = await Session.create(store)
    await session.append(UserMessage(text="Paint the fence"), sender=USER)
    replies = session.inquire(cn.flat().as_agent())
    await replies
    return session, await replies.recorded()


async def test_recorded_contract_net_is_a_tree_of_reply_to_nodes(tmp_path: Path) -> None:
    async with Ramify(), SQLiteStore(tmp_path / "net.db") as store:
        session, run = await _recorded(store)
        path = await session.path_messages("main")
        types = [type(message).__name__ for _, message in path]
        # The branch ends at the last message and shows its ancestry.
        assert types == ["UserMessage", "CFP", "Propose", "Accept", "Inform", "NetMessage"]
        senders = [node.sender for node, _ in path]
        assert senders[0] == USER
        assert senders[1] == "manager"
        cfp_node = path[1][0]
        # Every contractor's proposal is a child of its own CFP; the CFPs are siblings.
        siblings = await session.children(path[0][0])
        assert len(siblings) == 3
        # The network's run has a child run per actor, and every message is one of its nodes.
        children = await session.runs(parent_run_id=run.id)  # type: ignore[attr-defined]
        assert sorted(r.agent for r in children) == [
            "contractor_1",
            "contractor_2",
            "contractor_3",
            "manager",
        ]
        assert all(r.status is RunStatus.DONE for r in children)
        assert len(run.output_nodes) == 11  # type: ignore[attr-defined]
        assert cfp_node.run_id == next(r.id for r in children if r.agent == "manager")


async def test_rerunning_one_proposal_makes_a_sibling_branch() -> None:
    async with Ramify():
        session, _ = await _recorded(MemoryStore())
        path = await session.path("main")
        proposal = path[2]
        before = await session.children(path[1])
        rerun = session.rerun(proposal)
        replies = await rerun
        await rerun.recorded()
        assert rerun.branch
        assert rerun.branch != "main"
        (again,) = replies
        assert isinstance(again, cn.Propose)
        original = await session.message(proposal)
        assert again.price == original.price + 7  # the contractor's price for attempt 1
        new_path = await session.path(rerun.branch)
        assert new_path[-1].parent == proposal.parent  # a sibling of the original proposal
        assert new_path[-1].sender == proposal.sender
        assert len(await session.children(path[1])) == len(before) + 1
        # The original conversation is untouched.
        assert [n.hash_key for n in await session.path("main")] == [n.hash_key for n in path]


def test_the_ide_loads_the_network_by_file_and_name() -> None:
    loaded = load_agent_spec(f"{NETWORKS / 'contract_net.py'}:network")
    assert loaded.alias == "contract_net"


async def test_a_recorded_network_exports_imports_and_forks_like_a_chat() -> None:
    async with Ramify():
        session, _ = await _recorded(MemoryStore())
        text = await session.export_markdown("tree")
        again = await Session.import_markdown(MemoryStore(), text)
        original = await session.path("main")
        assert [n.hash_key for n in await again.path("main")] == [n.hash_key for n in original]
        assert len(await again.store.session_nodes(again.id)) == len(
            await session.store.session_nodes(session.id)
        )
        # Fork at the winning proposal and go on by hand: the network's branch is untouched.
        await again.fork(original[2], "haggle")
        await again.append(UserMessage(text="Can you do it for less?"), branch="haggle")
        assert [n.hash_key for n in await again.path("main")] == [n.hash_key for n in original]
        assert len(await again.path("haggle")) == 4


async def test_recorded_nested_net_inform_node_ancestry_is_cfp_propose_accept() -> None:
    async with Ramify():
        session = await Session.create(MemoryStore())
        await session.append(UserMessage(text="Paint the fence"), sender=USER)
        replies = session.inquire(cn.nested().as_agent())
        await replies
        run = await replies.recorded()
        nodes = await session.store.session_nodes(session.id)
        messages = await session.store.get_messages([node.message for node in nodes])
        (inform,) = [
            n for n in nodes if isinstance(messages[n.message], cn.Inform) and n.sender == "firm"
        ]
        ancestry = [type(messages[n.message]).__name__ for n in await session.path(inform)]
        children = await session.runs(parent_run_id=run.id)
    assert ancestry == ["UserMessage", "CFP", "Propose", "Accept", "Inform"]
    # The firm's run is a child of the network's run, and its actors' runs are its children.
    (firm_run,) = [r for r in children if r.agent == "firm"]
    inner = await session.runs(parent_run_id=firm_run.id)
    assert sorted(r.agent for r in inner) == ["firm_lead", "mason", "painter"]
