"""ramify.core: agents as async functions talking in immutable, hashed, streamed messages.

Importing this package loads pydantic and the standard library only: no Textual, and no
provider SDK (those load when a provider is first used).
"""

# --- data (core I) ---
from .frozen import Frozen, FrozenMapping, UnfreezableValueError, canonical_json
from .messages import AssistantMessage, ErrorMessage, Message, SystemMessage, UserMessage

# --- storage and sessions (core I) ---

# --- promising (core II) ---

# --- agents and runtime (core III) ---

__all__ = [
    "AssistantMessage",
    "ErrorMessage",
    "Frozen",
    "FrozenMapping",
    "Message",
    "SystemMessage",
    "UnfreezableValueError",
    "UserMessage",
    "canonical_json",
]
