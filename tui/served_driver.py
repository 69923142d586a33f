"""The browser driver of `ramify serve`: Textual's `WebDriver`, except that leaving quits as
Ctrl+Q does.

textual-serve tells the app process to quit (a ``quit`` meta packet) when the tab's websocket
closes, and a Ctrl+C on the server reaches every app process as SIGINT. The stock driver turns
both into Textual's `ExitApp`, which ends the app without cancelling its running replies, so
they would be left running and read as interrupted later. This driver runs the app's `quit`
action instead: every running reply is cancelled, and what arrived is recorded as cancelled,
before the process ends.

`ramify serve` selects it through ``TEXTUAL_DRIVER`` in each tab's command (`serve.py`). It
is imported only in the app process of a served tab.
"""

from __future__ import annotations

import contextlib
import signal
import sys

from textual.drivers.web_driver import WebDriver


class ServedDriver(WebDriver):
    """`WebDriver` whose quit request and stop signals run the app's `quit` action."""

    def start_application_mode(self) -> None:
        super().start_application_mode()
        if sys.platform != "win32":
            # Replaces the handlers the stock driver just set (they post `ExitApp`).
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                self._loop.add_signal_handler(stop_signal, self._quit)

    def on_meta(self, packet_type: str, payload: dict[str, object]) -> None:
        if packet_type != "quit":
            super().on_meta(packet_type, payload)
            return
        # Called on the input thread: hand the quit to the app's event loop. A closed loop
        # means the app has already ended.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._quit)

    def _quit(self) -> None:
        self._app.call_later(self._app.run_action, "quit")
