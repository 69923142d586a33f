"""The worked network examples (examples/networks/), offline, each checked for what it shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.core import USER, MemoryStore, Message, Ramify, Session, SQLiteStore, UserMessage
from ramify.core.llm import demo_agent
from ramify.core.net import NetMessage, Stopped
from ramify.tui.agent_loader import agent_names, load_agent_spec

from .conftest import NETWORKS, load_example

FAST_DEMO = demo_agent.fork(tokens_per_second=5000)
EXAMPLES = sorted(path.stem for path in NETWORKS.glob("*.py"))


def test_every_example_is_listed_here() -> None:
    assert EXAMPLES == [
        "contract_net",
        "crew",
        "debate",
        "dialogue",
        "human_console",
        "inner_critic",
        "map_reduce",
        "reflexion",
        "research",
        "student_teacher",
    ]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_opens_in_the_ide_as_network(name: str) -> None:
    spec = f"{NETWORKS / name}.py:network"
    assert load_agent_spec(spec).alias
    assert "network" in agent_names(load_example(name))


async def test_research_typed_messages_round_trip_through_sqlite(tmp_path: Path) -> None:
    research = load_example("research")
    ping = research.Ping(count=4, sender="a", receiver="b", text="ping")
    again = research.round_trip(ping)
    # Read back by its type tag, as the class registered under it (the first one loaded).
    assert type(again).type_tag == research.Ping.type_tag
    assert again == ping
    async with SQLiteStore(tmp_path / "r.db") as store:
        await store.put_message(ping)
    async with SQLiteStore(tmp_path / "r.db") as store:
        stored = await store.get_message(ping.hash_key)
    assert type(stored).type_tag == research.Ping.type_tag
    assert stored == ping
    assert stored.count == 4


async def test_research_ping_pong_dispatches_by_type_and_hooks_see_each_delivery() -> None:
    research = load_example("research")
    net = research.game(rallies=2)
    seen: list[tuple[str, str]] = []
    net.listen("receive", lambda actor, message: seen.append((actor.name, type(message).__name__)))
    result = await net.run(research.Ping(sender="pinger", receiver="ponger", text="ping"))
    # The first ping counts too: the fourth message (a pong) stops the game undelivered.
    assert seen == [("ponger", "Ping"), ("pinger", "Pong"), ("ponger", "Ping")]
    assert result.stop_reason == "reached 4 messages"
    counts = [m.count for m in result.messages if isinstance(m, research.Pong)]
    assert counts == [0, 1]


async def test_dialogue_streams_model_turns_and_ends_on_its_condition() -> None:
    dialogue = load_example("dialogue")
    async with Ramify():
        result = await dialogue.dialogue(FAST_DEMO).run("Explain recursion.")
    assert result.stop_reason == "a message mentioned 'goodbye'"
    writer_turns = [m for m in result.messages if m.sender == "writer"]
    assert len(writer_turns) == 3
    # Each writer turn is the demo model's reply quoting the editor's last remark.
    assert "> Shorter, please." in writer_turns[1].text
    assert isinstance(result.messages[-1], Stopped)


async def test_dialogue_recorded_in_a_session_streams_per_actor() -> None:
    dialogue = load_example("dialogue")
    async with Ramify():
        session = await Session.create(MemoryStore())
        await session.append(UserMessage(text="Explain recursion."), sender=USER)
        replies = session.inquire(dialogue.dialogue(FAST_DEMO).as_agent())
        senders = [promise.agent_alias async for promise in replies]
        await replies.recorded()
    assert senders[:4] == ["writer", "editor", "writer", "editor"]
    path = await session.path("main")
    assert [node.sender for node in path][-2:] == ["editor", "dialogue"]


async def test_human_console_the_human_answers_as_an_actor() -> None:
    console = load_example("human_console")
    answers = iter(["a tool", "me", "users"])
    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(question.strip())
        return next(answers)

    result = await console.console(ask).run("start")
    assert asked == list(console.QUESTIONS)
    assert [m.text for m in result.outputs] == ["You said: a tool; me; users"]


async def test_human_console_in_the_ide_hands_off_to_the_user_composer() -> None:
    console = load_example("human_console")
    net = console.in_the_ide()
    async with Ramify():
        session = await Session.create(MemoryStore())
        for typed in ("start", "a tool", "me", "users"):
            await session.append(UserMessage(text=typed), sender=USER)
            replies = session.inquire(net.as_agent())
            await replies
            await replies.recorded()
    path = await session.path_messages("main")
    texts = [message.text for _, message in path]
    # Each turn: what the user typed, the guide's next question, and the handoff recorded.
    assert texts == [
        "start",
        console.QUESTIONS[0],
        "stopped: handed off to USER",
        "a tool",
        console.QUESTIONS[1],
        "stopped: handed off to USER",
        "me",
        console.QUESTIONS[2],
        "stopped: handed off to USER",
        "users",
        "You said: a tool; me; users",
        "stopped: handed off to USER",
    ]
    assert [node.sender for node, _ in path][:3] == [USER, "guide", "interview"]


async def test_debate_alternates_for_its_rounds_then_the_judge_decides() -> None:
    debate = load_example("debate")
    result = await debate.debate(rounds=2).run("Tabs or spaces?")
    arguments = [m for m in result.messages if isinstance(m, debate.Argument)]
    assert [a.side for a in arguments] == ["pro", "con", "pro", "con"]
    (verdict,) = [m for m in result.messages if isinstance(m, debate.Verdict)]
    assert verdict.parent is arguments[-1]
    assert verdict.receiver == USER
    assert verdict.winner == "con"  # more words, by the judge's count


async def test_map_reduce_fans_out_dedupes_and_nests_a_map_reducer() -> None:
    map_reduce = load_example("map_reduce")
    text = "the cat sat on the mat the end the cat"
    result = await map_reduce.map_reduce(mappers=2, nested=True).run(text)
    jobs = [m for m in result.messages if isinstance(m, map_reduce.Job)]
    assert sorted(j.receiver for j in jobs) == [
        "inner_1",
        "inner_2",
        "inner_map_reduce",
        "mapper_1",
        "mapper_2",
    ]
    (answer,) = result.outputs
    assert answer.text == " ".join(sorted(set(text.split())))
    inner = [m for m in result.messages if m.sender == "inner_map_reduce"]
    assert len(inner) == 1
    assert isinstance(inner[0], map_reduce.Mapped)


async def test_inner_critic_is_stopped_by_max_messages() -> None:
    inner_critic = load_example("inner_critic")
    result = await inner_critic.inner_critic(budget=5).run("a haiku")
    assert result.stop_reason == "reached 5 messages"
    drafts = [m for m in result.messages if isinstance(m, inner_critic.Draft)]
    assert [d.version for d in drafts] == [1, 2]


async def test_student_teacher_lifecycle_hooks_run_around_the_conversation() -> None:
    st = load_example("student_teacher")
    net = st.classroom()
    teacher, student = net.directory["teacher"], net.directory["student"]
    assert student.notebook is None  # opened only by on_start
    result = await net.run("Teach me.")
    assert student.learned == list(st.LESSONS)
    assert student.notebook is None  # closed by on_stop
    assert teacher.log == ["class started", "class ended, 0 lessons left"]
    assert result.outputs[-1].text == "That is all for today."


async def test_reflexion_loop_converges_through_its_reflections() -> None:
    reflexion = load_example("reflexion")
    result = await reflexion.reflexion(hidden=37).run("Find the number.")
    kinds = [type(m).__name__ for m in result.messages[1:9]]
    assert kinds == ["Act", "Observation", "Reward", "Reflection"] * 2
    guesses = [m.guess for m in result.messages if isinstance(m, reflexion.Act)]
    assert guesses == [50, 25, 37]
    assert [m.text for m in result.outputs] == ["Solved: 37"]
    lessons = [(m.low, m.high) for m in result.messages if isinstance(m, reflexion.Reflection)]
    assert lessons == [(1, 49), (26, 49)]


async def test_crew_sequential_chains_results_and_hierarchical_fans_out() -> None:
    crew = load_example("crew")
    sequential = await crew.crew().run("caching")
    assert sequential.outputs[-1].text == "[editor: [writer: [researcher: caching]]]"
    hierarchical = await crew.crew(hierarchical=True).run("caching")
    tasks = [m for m in hierarchical.messages if isinstance(m, crew.Task)]
    # All three tasks go out before any result comes back.
    assert [type(m).__name__ for m in hierarchical.messages[1:4]] == ["Task"] * 3
    assert {t.parent for t in tasks} == {hierarchical.messages[0]}
    assert hierarchical.outputs[-1].text == (
        "[researcher: caching] [writer: caching] [editor: caching]"
    )


async def test_examples_record_every_message_as_a_node(tmp_path: Path) -> None:
    map_reduce = load_example("map_reduce")
    async with Ramify(), SQLiteStore(tmp_path / "m.db") as store:
        session = await Session.create(store)
        await session.append(UserMessage(text="a b a c"), sender=USER)
        replies = session.inquire(map_reduce.map_reduce().as_agent())
        messages: list[Message] = await replies
        await replies.recorded()
        nodes = await store.session_nodes(session.id)
    assert len(nodes) == len(messages) + 1
    assert all(isinstance(m, NetMessage) for m in messages)
