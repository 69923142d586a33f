"""Tool calls as nodes: the offline demo model with a calculator, a clock and a tool of yours.

    python examples/tools_demo.py "what is 12*7 and 3+4"

In the IDE the agent is ``examples/tools_demo.py:agent``. No key is needed: the demo model
calls the calculator for each arithmetic expression (several at once run in parallel), the
clock when asked the time, and answers from the results. Each step is a node of the tree.
"""

from __future__ import annotations

import sys

from ramify.core import Ramify
from ramify.core.tools import DEMO_TOOLS, agent_with_tools, tool


@tool(read_only=True)
def word_count(text: str) -> int:
    """Count the words in a text."""
    return len(text.split())


agent = agent_with_tools([*DEMO_TOOLS.values(), word_count], api="demo", alias="tools-demo")


async def main(question: str) -> None:
    async for promise in agent.inquire(question, tokens_per_second=0):
        message = await promise
        calls = getattr(message, "tool_calls", ())
        print(f"[{message.role}] {message.text.strip()}")
        for call in calls:
            print(f"    -> {call.name}({call.arguments})")


if __name__ == "__main__":
    Ramify().run(main(" ".join(sys.argv[1:]) or "what is 12*7"))
