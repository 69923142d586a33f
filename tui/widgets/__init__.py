"""The widgets of the Ramify IDE; each renders view models and never does I/O."""

from ramify.tui.widgets.agent_panes import AgentPanes
from ramify.tui.widgets.branch_tree import BranchTree
from ramify.tui.widgets.composer import Composer
from ramify.tui.widgets.full_text import FullText
from ramify.tui.widgets.inspector import Inspector
from ramify.tui.widgets.message_view import MessageWidget
from ramify.tui.widgets.stream_pane import StreamPane
from ramify.tui.widgets.transcript import Transcript
from ramify.tui.widgets.workflow_view import WorkflowView

__all__ = [
    "AgentPanes",
    "BranchTree",
    "Composer",
    "FullText",
    "Inspector",
    "MessageWidget",
    "StreamPane",
    "Transcript",
    "WorkflowView",
]
