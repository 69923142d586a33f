"""Inspector shows a node's summary and raw JSON, literally."""

from __future__ import annotations

from ramify.tui.widgets.inspector import Inspector
from tests.tui.hosts import HostApp, rendered_text


async def test_inspector_shows_fields_and_raw_json() -> None:
    app = HostApp(Inspector)
    async with app.run_host(size=(120, 40)) as pilot:
        inspector = app.query_one(Inspector)
        inspector.show(
            {
                "hash": "abc123",
                "parent": "def456",
                "sender": "[red]bot[/]",
                "run": "run-9",
                "usage": {"input_tokens": 3, "output_tokens": 4},
                "message": {"text": "hi \x1b[31m"},
            }
        )
        await pilot.pause()
        shown = rendered_text(inspector.query_one(".inspector--body"))
        for expected in ("abc123", "def456", "[red]bot[/]", "run-9", "input_tokens 3"):
            assert expected in shown
        assert '"text": "hi \\u001b[31m"' in shown
        inspector.show(None)
        await pilot.pause()
        assert "nothing selected" in rendered_text(inspector.query_one(".inspector--body"))
