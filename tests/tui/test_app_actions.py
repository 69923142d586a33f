"""Pilot tests for every action of the registry, asserting on session and store state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ramify.core import USER, InteractionContext, RunStatus, Session, SQLiteStore, Store, agent
from ramify.tui.actions import ACTIONS
from ramify.tui.screens import EditScreen, HelpScreen, PickScreen, PromptScreen, SessionsScreen
from ramify.tui.widgets import AgentPanes, Composer, Inspector, MessageWidget, Transcript
from tests.tui.ide import Gate, ide, navigate_mode, palette_offers, send, settled, until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "ide.db") as opened:
        yield opened


def _toasts(app: Any) -> str:
    return "\n".join(str(notification.message) for notification in app._notifications)


async def _texts(session: Session, branch: str) -> list[tuple[str, str]]:
    return [(node.sender, message.text) for node, message in await session.path_messages(branch)]


async def test_send_records_the_message_and_the_streamed_reply(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "hello")
        session = app.controller.session
        assert await _texts(session, "main") == [(USER, "hello"), ("ECHO", "echo: hello")]
        assert [view.text for view in app.query_one(Transcript).views] == [
            "hello",
            "echo: hello",
        ]
        assert app.query_one(Composer).text == ""


async def test_shift_enter_and_ctrl_j_add_newlines_instead_of_sending(store: Store) -> None:
    async with ide(store) as (app, pilot):
        composer = app.query_one(Composer)
        composer.area.focus()
        await pilot.press("a", "ctrl+j", "b")
        assert composer.text == "a\nb"
        assert app.controller.path == []


async def test_letter_keys_type_into_the_composer_without_firing_actions(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "hi")
        composer = app.query_one(Composer)
        composer.area.focus()
        await pilot.press("f", "r", "e", "b")
        assert composer.text == "freb"
        assert not isinstance(app.screen, PromptScreen | PickScreen)


async def test_escape_cancels_the_run_and_keeps_the_partial_reply(store: Store) -> None:
    gate = Gate()
    async with ide(store, gate.agent) as (app, pilot):
        composer = app.query_one(Composer)
        composer.text = "go"
        await pilot.press("enter")
        await gate.started.wait()
        await until(pilot, lambda: bool(app.query_one(AgentPanes).keys))
        run_id = next(iter(app.inquiries))
        await pilot.press("escape")
        await settled(pilot)
        session = app.controller.session
        _node, message = (await session.path_messages("main"))[-1]
        assert message.text == "partial reply"
        assert message.cancelled is True  # type: ignore[attr-defined]
        assert (await session.get_run(run_id)).status is RunStatus.CANCELLED
        assert app.query_one(Transcript).views[-1].status.value == "cancelled"


async def test_fork_asks_for_a_name_and_branches_at_the_selected_node(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "first")
        await send(app, pilot, "second")
        controller = app.controller
        first_reply = controller.path[1]
        await navigate_mode(app, pilot)
        await pilot.press("h", "h")  # select the first reply
        assert controller.selected_hash == first_reply
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        prompt = app.screen.query_one("#prompt-input")
        prompt.value = "idea"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: controller.branch == "idea")
        ref = await store.get_ref(controller.session.id, "idea")
        assert ref is not None
        assert ref.head == first_reply
        assert (await store.get_ref(controller.session.id, "main")).head != first_reply  # type: ignore[union-attr]
        # Sending now continues the new branch, leaving main alone.
        await send(app, pilot, "other")
        assert [t for _, t in await _texts(controller.session, "idea")][-2:] == [
            "other",
            "echo: other",
        ]
        assert len(await controller.session.path("main")) == 4


async def test_edit_resends_a_user_message_as_a_sibling_on_a_new_branch(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "origin")
        controller = app.controller
        original = controller.path[0]
        await navigate_mode(app, pilot)
        await pilot.press("h")
        assert controller.selected_hash == original
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditScreen))
        app.screen.query_one("#edit-area").load_text("edited")  # type: ignore[attr-defined]
        await pilot.press("enter")  # the message box's send key, not Ctrl+S
        await settled(pilot)
        assert controller.branch == "edit-origin"  # proposed from the message; editable
        session = controller.session
        assert await _texts(session, "edit-origin") == [(USER, "edited"), ("ECHO", "echo: edited")]
        assert await _texts(session, "main") == [(USER, "origin"), ("ECHO", "echo: origin")]
        edited_root = (await session.path("edit-origin"))[0]
        assert edited_root.parent is None
        assert edited_root.hash_key != original


async def test_edit_refuses_an_agent_message(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "q")
        await navigate_mode(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, EditScreen)
        assert len(app.controller.heads) == 1


async def test_rerun_with_the_same_reply_says_so_and_makes_no_branch(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "again")
        controller = app.controller
        reply = controller.path[-1]
        await navigate_mode(app, pilot)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")  # the proposed branch name
        await settled(pilot)
        await until(pilot, lambda: "same reply" in _toasts(app))
        assert controller.branch == "main"
        assert set(controller.heads) == {"main"}
        assert controller.path[-1] == reply
        # A rerun bypasses the cache: the agent ran again, and gave the same node.
        runs = [run for run in await controller.session.runs() if run.agent == "ECHO"]
        assert len(runs) == 2
        assert runs[1].output_nodes == [reply]


async def test_rerun_puts_a_different_reply_beside_the_original_on_a_rerun_branch(
    store: Store,
) -> None:
    @agent
    async def varying(ctx: InteractionContext) -> None:
        ctx.reply(f"take {ctx.attempt}")

    async with ide(store, varying) as (app, pilot):
        await send(app, pilot, "again")
        controller = app.controller
        reply = controller.path[-1]
        await navigate_mode(app, pilot)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")  # the proposed branch name
        await settled(pilot)
        await until(pilot, lambda: controller.branch == "rerun-take-0")
        session = controller.session
        assert await _texts(session, "rerun-take-0") == [(USER, "again"), ("VARYING", "take 1")]
        assert await _texts(session, "main") == [(USER, "again"), ("VARYING", "take 0")]
        siblings = await session.children(controller.path[0])
        assert [node.hash_key for node in siblings] == [reply, controller.path[-1]]


async def test_rerun_with_another_agent_from_the_palette(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "loud")
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Rerun with SHOUT")
        await until(pilot, lambda: palette_offers(app, "Rerun with SHOUT"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")  # the proposed branch name
        await settled(pilot)
        session = app.controller.session
        assert await _texts(session, app.controller.branch) == [(USER, "loud"), ("SHOUT", "LOUD")]
        siblings = await session.children(app.controller.path[0])
        assert [node.sender for node in siblings] == ["ECHO", "SHOUT"]


async def test_forward_to_a_branch_appends_a_forwarded_copy(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "one")
        controller = app.controller
        await controller.session.fork(controller.path[0], "side")
        await app._catch_up()
        reply = controller.path[-1]
        await navigate_mode(app, pilot)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # the first option: branch side
        await until(pilot, lambda: len(controller.session.record.active_branch) > 0)
        await settled(pilot)
        head = await controller.session.head("side")
        assert head is not None
        assert head.forwarded_from == reply
        assert head.parent == controller.path[0]


async def test_forward_to_an_agent_asks_it_on_a_new_branch(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "tell shout")
        await navigate_mode(app, pilot)
        await pilot.press("h")  # the user message
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        picker = app.screen
        assert isinstance(picker, PickScreen)
        ids = [key for key, _ in picker.items]
        picker.query_one("#pick-list").highlighted = ids.index("agent:SHOUT")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settled(pilot)
        controller = app.controller
        assert controller.branch.startswith("to-SHOUT")
        assert await _texts(controller.session, controller.branch) == [
            (USER, "tell shout"),
            ("SHOUT", "TELL SHOUT"),
        ]


async def _branched(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """main: q1 a1 q2 a2 ; alt: q1 a1 q2' a2' (q2' a sibling of q2)."""
    await send(app, pilot, "q1")
    await send(app, pilot, "q2")
    controller = app.controller
    await controller.session.fork(controller.path[1], "alt")
    await app.switch_branch("alt")
    await send(app, pilot, "q2 prime")
    await app.switch_branch("main")
    await pilot.pause()


async def test_navigation_keys_walk_parent_child_siblings_and_branch_points(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _branched(app, pilot)
        controller = app.controller
        main_path = list(controller.path)
        await navigate_mode(app, pilot)
        assert controller.selected == 3
        await pilot.press("h", "h")
        assert controller.selected_hash == main_path[1]
        await pilot.press("l")
        assert controller.selected_hash == main_path[2]
        await pilot.press("j")  # next sibling of q2: q2 prime, on branch alt
        assert controller.branch == "alt"
        assert (await controller.session.message(controller.selected_hash)).text == "q2 prime"  # type: ignore[arg-type]
        assert app.query_one(Transcript).views[2].siblings == "2/2"
        await pilot.press("k")
        assert controller.branch == "main"
        assert controller.selected_hash == main_path[2]
        await pilot.press("left_square_bracket")
        assert controller.selected_hash == main_path[1]  # a1 is the branch point
        await pilot.press("h")
        await pilot.press("right_square_bracket")
        assert controller.selected_hash == main_path[1]
        # The sibling choice is remembered in the session.
        await pilot.press("l", "j")
        assert controller.session.record.remembered_children[main_path[1]] != main_path[2]


async def test_reopening_lands_on_the_branch_and_sibling_last_viewed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "reopen.db"
    async with SQLiteStore(db) as store, ide(store) as (app, pilot):
        await _branched(app, pilot)
        await navigate_mode(app, pilot)
        await pilot.press("h", "j")
        assert app.controller.branch == "alt"
        alt_path = list(app.controller.path)
    async with SQLiteStore(db) as store, ide(store) as (app, pilot):
        assert app.controller.branch == "alt"
        assert app.controller.path == alt_path
        assert [v.node_hash for v in app.query_one(Transcript).views] == alt_path


async def test_switch_branch_picks_from_every_branch(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _branched(app, pilot)
        await navigate_mode(app, pilot)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        picker = app.screen
        assert [key for key, _ in picker.items] == ["alt", "main"]  # type: ignore[attr-defined]
        picker.query_one("#pick-list").highlighted = 0
        await pilot.press("enter")
        await until(pilot, lambda: app.controller.branch == "alt")
        assert app.controller.session.record.active_branch == "alt"
        assert app.query_one(Transcript).views[-1].text == "echo: q2 prime"


async def test_search_jumps_to_the_hit_on_its_branch(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _branched(app, pilot)
        await navigate_mode(app, pilot)
        await pilot.press("slash")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one("#prompt-input").value = "prime"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        hits = app.screen.items  # type: ignore[attr-defined]
        assert len(hits) == 2
        assert all("[alt]" in label for _, label in hits)
        await pilot.press("enter")
        await until(pilot, lambda: app.controller.branch == "alt")
        text = await app.controller.text_of(app.controller.selected_hash)  # type: ignore[arg-type]
        assert "prime" in text


async def test_copy_message_code_and_branch(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "look:\n```python\nprint(1)\n```\nend")
        await navigate_mode(app, pilot)
        await pilot.press("y")
        assert app.clipboard == "echo: look:\n```python\nprint(1)\n```\nend"
        await pilot.press("c")
        assert app.clipboard == "print(1)\n"
        await pilot.press("m")
        # Role headings, the format `ramify open` reads back.
        assert app.clipboard.startswith("user\n====\nlook:")
        assert "assistant\n=========\necho: look:" in app.clipboard


async def test_new_and_open_session(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "in the first session")
        first = app.controller.session.id
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.controller.session.id != first)
        assert app.controller.path == []
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, SessionsScreen))
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        assert [row.id for row in screen.rows] == [first]
        await pilot.press("enter")
        await until(pilot, lambda: app.controller.session.id == first)
        assert next(v.text for v in app.query_one(Transcript).views) == "in the first session"


async def test_save_session_writes_markdown_that_opens_again(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "saved.md"
    async with ide(store) as (app, pilot):
        await send(app, pilot, "keep me")
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one("#prompt-input").value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, target.exists)
        heads = app.controller.heads
    text = target.read_text(encoding="utf-8")
    assert "keep me" in text
    from ramify.core import MemoryStore

    reopened = await Session.import_markdown(MemoryStore(), text)
    assert {ref.name: ref.head for ref in await reopened.branches()} == heads


async def test_theme_choice_is_applied_and_persisted(store: Store) -> None:
    chosen: list[str] = []
    async with ide(store, save_theme=chosen.append) as (app, pilot):
        assert app.theme == "ramify-dark"
        await navigate_mode(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press(*"ramify-light")
        await until(pilot, lambda: palette_offers(app, "ramify-light"))
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "ramify-light")
        assert chosen[-1] == "ramify-light"


async def test_inspector_shows_the_selected_node(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "inspect me")
        inspector = app.query_one(Inspector)
        assert inspector.has_class("-hidden")
        await navigate_mode(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        assert not inspector.has_class("-hidden")
        assert inspector.data is not None
        assert inspector.data["hash"] == app.controller.path[-1]
        assert inspector.data["sender"] == "ECHO"
        assert inspector.data["parent"] == app.controller.path[0]
        assert inspector.data["run_status"] == "done"
        await pilot.press("h")
        assert inspector.data["hash"] == app.controller.path[0]


async def test_help_lists_every_action(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        from rich.console import Console

        console = Console(record=True, width=200)
        console.print(app.screen.query_one("#help-body").content)
        body = console.export_text()
        for action in ACTIONS:
            assert action.title in body


async def test_switch_agent_changes_who_receives_messages(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await navigate_mode(app, pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        picker = app.screen
        ids = [key for key, _ in picker.items]  # type: ignore[attr-defined]
        picker.query_one("#pick-list").highlighted = ids.index("SHOUT")
        await pilot.press("enter")
        await until(pilot, lambda: app.controller.target.alias == "SHOUT")
        assert app.query_one(Composer).target == "SHOUT"
        await send(app, pilot, "quiet")
        assert await _texts(app.controller.session, "main") == [(USER, "quiet"), ("SHOUT", "QUIET")]


async def test_quit_mid_stream_cancels_and_persists_what_arrived(tmp_path: Path) -> None:
    gate = Gate(before=("half ", "way"))
    db = tmp_path / "quit.db"
    async with SQLiteStore(db) as store, ide(store, gate.agent) as (app, pilot):
        composer = app.query_one(Composer)
        composer.text = "start"
        await pilot.press("enter")
        await gate.started.wait()
        await until(pilot, lambda: bool(app.query_one(AgentPanes).keys))
        session_id = app.controller.session.id
        await pilot.press("ctrl+q")
        await until(pilot, lambda: app.return_code is not None or not app.is_running)
    async with SQLiteStore(db) as reopened:
        session = await Session.open(reopened, session_id)
        texts = [(n.sender, m.text) for n, m in await session.path_messages("main")]
        assert texts == [(USER, "start"), ("GATED", "half way")]
        runs = await session.runs()
        assert [run.status for run in runs] == [RunStatus.CANCELLED]


async def test_user_keymap_remaps_an_action(store: Store) -> None:
    async with ide(store, keymap={"fork": "ctrl+b"}) as (app, pilot):
        await send(app, pilot, "x")
        await navigate_mode(app, pilot)
        await pilot.press("f")  # no longer a command: typed into the message box instead
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen)
        assert app.query_one(Composer).text == "f"
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+b")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))


async def test_selecting_a_run_in_the_tree_shows_it(store: Store) -> None:
    from ramify.tui.widgets import BranchTree

    async with ide(store) as (app, pilot):
        await _branched(app, pilot)
        tree = app.query_one(BranchTree)
        controller = app.controller
        alt_run = next(
            node.data
            for node in tree._by_first.values()
            if node.data is not None and "alt" in node.data.branches
        )
        tree.post_message(BranchTree.RunSelected(tree, alt_run))
        await until(pilot, lambda: controller.branch == "alt")
        assert controller.selected_hash == alt_run.first


async def test_markup_and_ansi_in_a_reply_render_literally(store: Store) -> None:
    nasty = "[bold red]not bold[/] and \x1b[31mnot red\x1b[0m"
    async with ide(store) as (app, pilot):
        await send(app, pilot, nasty)
        widget = list(app.query(MessageWidget))[-1]
        lines = [strip.text for strip in widget.render_lines(widget.region.reset_offset)]
        rendered = "\n".join(lines)
        assert "[bold red]not bold[/]" in rendered
        assert "\x1b" not in rendered
        assert "␛[31mnot red␛[0m" in rendered
        for strip in widget.render_lines(widget.region.reset_offset):
            for segment in strip:
                if "not bold" in segment.text:
                    assert not (segment.style and segment.style.bold)


async def test_the_first_user_message_is_kept_when_the_session_is_not_ready(
    store: Store,
) -> None:
    async with ide(store) as (app, pilot):
        controller = app.controller
        app.controller = None
        composer = app.query_one(Composer)
        composer.text = "do not lose me"
        await pilot.press("enter")
        await pilot.pause()
        assert composer.text == "do not lose me"
        app.controller = controller


async def test_an_empty_session_answers_actions_without_crashing(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await navigate_mode(app, pilot)
        for key in ("h", "l", "j", "k", "f", "e", "r", "t", "y", "c", "escape", "i"):
            await pilot.press(key)
            await pilot.pause()
            if app.screen is not app.screen_stack[0]:
                await pilot.press("escape")
        assert app.is_running
        assert app.controller.path == []
        assert app.controller.heads == {}


async def test_autosave_writes_each_change_back_to_the_session_file(
    store: Store, tmp_path: Path
) -> None:
    target = tmp_path / "notes.md"
    async with ide(store, session_file=target) as (app, pilot):
        await send(app, pilot, "first thought")
        await until(pilot, lambda: target.exists() and "echo: first thought" in target.read_text())
        await send(app, pilot, "second thought")
        await until(pilot, lambda: "echo: second thought" in target.read_text())
        heads = app.controller.heads
    from ramify.core import MemoryStore

    reopened = await Session.import_markdown(MemoryStore(), target.read_text(encoding="utf-8"))
    assert {ref.name: ref.head for ref in await reopened.branches()} == heads


async def test_no_autosave_when_switched_off(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "untouched.md"
    async with ide(store, session_file=target, autosave=False) as (app, pilot):
        await send(app, pilot, "not written")
        await settled(pilot)
    assert not target.exists()


async def test_enter_right_after_fast_typing_sends_the_whole_text(store: Store) -> None:
    from textual import events

    async with ide(store) as (app, pilot):
        app.query_one(Composer).area.focus()
        await pilot.pause()
        # One burst, as a fast typist (or a paste followed by Enter) delivers it.
        for character in "hello":
            app.post_message(events.Key(character, character))
        app.post_message(events.Key("enter", None))
        await until(pilot, lambda: len(app.controller.path) == 2)
        await settled(pilot)
        assert [v.text for v in app.query_one(Transcript).views] == ["hello", "echo: hello"]


async def test_send_and_newline_work_from_the_palette(store: Store) -> None:
    async with ide(store) as (app, pilot):
        composer = app.query_one(Composer)
        composer.text = "line one"
        await app.run_action("composer_newline")
        assert composer.text == "line one\n"
        composer.text = "from the palette"
        await app.run_action("send")
        await settled(pilot)
        assert app.query_one(Transcript).views[0].text == "from the palette"
