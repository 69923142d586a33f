"""The pure view layer: grouping a tree into runs, and sanitising model output."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ramify.tui.sanitize import sanitize, snippet
from ramify.tui.view_models import BranchRun, ChainIndex, MessageView, group_runs


def chain_with_forks(
    length: int, forks: int, side: int = 3
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """A `length`-message chain `m0..` with `forks` side branches of `side` messages each."""
    children: dict[str, list[str]] = {}
    for i in range(length - 1):
        children.setdefault(f"m{i}", []).append(f"m{i + 1}")
    heads = {"main": f"m{length - 1}"}
    step = length // (forks + 1)
    for f in range(forks):
        prev = f"m{(f + 1) * step}"
        for j in range(side):
            children.setdefault(prev, []).append(f"s{f}_{j}")
            prev = f"s{f}_{j}"
        heads[f"side-{f}"] = prev
    return children, heads


def depth_of(runs: tuple[BranchRun, ...]) -> int:
    deepest, stack = 0, [(run, 1) for run in runs]
    while stack:
        run, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in run.children)
    return deepest


def all_runs(runs: tuple[BranchRun, ...]) -> list[BranchRun]:
    out, stack = [], list(runs)
    while stack:
        run = stack.pop()
        out.append(run)
        stack.extend(run.children)
    return out


def test_chain_of_5000_with_50_forks_groups_into_runs_by_fork_level() -> None:
    children, heads = chain_with_forks(5000, 50)
    runs = group_runs(["m0"], children, heads, active_head="m4999")
    flat = all_runs(runs)
    assert len(flat) == 1 + 2 * 50  # each fork splits the main line and adds one side run
    assert depth_of(runs) == 51
    assert sum(r.length for r in flat) == 5000 + 50 * 3
    main_runs = [r for r in flat if r.active]
    assert sum(r.length for r in main_runs) == 5000
    assert {name for r in flat for name in r.branches} == set(heads)


def test_runs_carry_sibling_counts_start_index_and_snippets() -> None:
    children = {"a": ["b"], "b": ["c1", "c2", "c3"], "c2": ["d"]}
    (root,) = group_runs(["a"], children, {"x": "d"}, active_head="d", snippets={"c2": "hello"})
    assert (root.first, root.last, root.length, root.start_index) == ("a", "b", 2, 0)
    assert [(c.first, c.sibling_index, c.sibling_count) for c in root.children] == [
        ("c1", 1, 3),
        ("c2", 2, 3),
        ("c3", 3, 3),
    ]
    second = root.children[1]
    assert (second.length, second.start_index, second.snippet) == (2, 2, "hello")
    assert second.branches == ("x",)
    assert second.heads == ("d",)
    assert [c.active for c in root.children] == [False, True, False]
    assert root.active


def test_100k_nodes_with_500_nested_branch_points_group_without_recursion() -> None:
    children, _ = chain_with_forks(100_000, 0)
    # Every 200 messages, fork off a side chain that itself forks later: nesting 500 deep.
    for f in range(500):
        children[f"m{f * 200 + 100}"].append(f"x{f}")
    runs = group_runs(["m0"], children, {"main": "m99999"}, active_head="m99999")
    assert depth_of(runs) == 501
    assert sum(r.length for r in all_runs(runs)) == 100_500


def test_message_view_short_hash_and_sibling_indicator() -> None:
    view = MessageView("abcdef0123456789", "user", "user", "hi", sibling_index=2, sibling_count=3)
    assert view.short_hash == "abcdef01"
    assert view.siblings == "2/3"
    assert MessageView("h", "u", "user", "t").siblings == ""


def test_sanitize_makes_control_characters_visible_and_keeps_text() -> None:
    assert sanitize("\x1b[31mred\x07") == "\u241b[31mred\u2407"
    assert sanitize("a\r\nb\tc") == "a\nb\tc"
    assert sanitize("[bold red]boom[/]") == "[bold red]boom[/]"
    assert snippet("one\ntwo   three", 9) == "one two …"


def reference_runs(
    roots: list[str], children: dict[str, list[str]], heads: dict[str, str], active_head: str
) -> list[tuple[str, str, int, int, tuple[str, ...], bool, int, int]]:
    """Runs found the plain way, visiting every node; flattened in display order."""
    parent = {kid: node for node, kids in children.items() for kid in kids}
    on_path, node = set(), active_head
    while node is not None:
        on_path.add(node)
        node = parent.get(node)  # type: ignore[assignment]
    out = []
    stack = [(root, 0, 1, 1) for root in reversed(roots)]
    while stack:
        first, start, index, count = stack.pop()
        names, active, node, length = [], False, first, 0
        while True:
            length += 1
            active = active or node in on_path
            names += [name for name, head in heads.items() if head == node]
            if len(children.get(node, [])) != 1:
                break
            node = children[node][0]
        out.append((first, node, length, start, tuple(names), active, index, count))
        kids = children.get(node, [])
        stack += [
            (kid, start + length, i + 1, len(kids)) for i, kid in reversed(list(enumerate(kids)))
        ]
    return out


def flat_runs(
    runs: tuple[BranchRun, ...],
) -> list[tuple[str, str, int, int, tuple[str, ...], bool, int, int]]:
    out, stack = [], list(reversed(runs))
    while stack:
        run = stack.pop()
        out.append(
            (run.first, run.last, run.length, run.start_index, run.branches, run.active,
             run.sibling_index, run.sibling_count)
        )  # fmt: skip
        stack.extend(reversed(run.children))
    return out


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_kept_chain_index_gives_the_runs_a_full_walk_gives_as_the_tree_grows(
    data: st.DataObject,
) -> None:
    # The controller's use: one `ChainIndex` for the session's life, told `forked()` whenever a
    # node gets its second child. After every new node (and head move) the runs must equal a
    # walk over every node.
    children: dict[str, list[str]] = {}
    roots = ["n0"]
    nodes = ["n0"]
    heads = {"main": "n0"}
    index = ChainIndex(children)
    for number in range(1, data.draw(st.integers(1, 40))):
        node = f"n{number}"
        # Mostly grow a head (a conversation), sometimes fork anywhere (edit, rerun, fork).
        if data.draw(st.booleans()):
            parent = heads[data.draw(st.sampled_from(sorted(heads)))]
        else:
            parent = data.draw(st.sampled_from(nodes))
        kids = children.setdefault(parent, [])
        kids.append(node)
        if len(kids) == 2:
            index.forked()
        nodes.append(node)
        moved = data.draw(st.sampled_from([*sorted(heads), f"b{number}"]))
        heads[moved] = node
        if data.draw(st.booleans()):
            heads[data.draw(st.sampled_from(sorted(heads)))] = data.draw(st.sampled_from(nodes))
        active = heads[data.draw(st.sampled_from(sorted(heads)))]
        got = group_runs(roots, children, heads, active, chains=index)
        assert flat_runs(got) == reference_runs(roots, children, heads, active)


def test_labels_drop_markdown_syntax_but_keep_the_words() -> None:
    from ramify.tui.view_models import label_text

    assert label_text("## Immutable messages Y…") == "Immutable messages Y…"
    assert label_text("> **bold** _it_ `code` [link](http://x) <div>tag</div>") == (
        "bold it code link tag"
    )
    assert label_text("- [ ] todo\n1. first\n```py\nx = 1\n```") == "todo first x = 1"
    # Marks inside words are text, not emphasis.
    assert label_text("2*3*4 and snake_case_name") == "2*3*4 and snake_case_name"


def test_a_branch_name_is_made_of_the_first_words() -> None:
    from ramify.tui.view_models import slug

    assert slug("On the fork: tell me about rerun!") == "on-the-fork-tell"
    assert slug("## Größe *wichtig*") == "größe-wichtig"
    assert slug("```\n```") == ""
