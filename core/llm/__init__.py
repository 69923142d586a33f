"""ramify.core.llm: model providers (OpenAI, Anthropic, OpenAI-compatible, offline demo).

The agents: `openai_agent`, `anthropic_agent`, `demo_agent` (fork them with ``model=...``),
and `agent_for_model(alias)` for a model named in the config.

Each provider is a function returning a `TokenStream`: iterate it for `str` tokens, then
read its `StreamResult` (model, usage, finish reason; the partial text after a
cancellation). Failures are `ProviderError`s with a one-line cause and what to do.
Importing this package does not import the provider SDKs; they load on first use.
"""

from ._clients import close_clients
from .agents import (
    ANTHROPIC_AGENT,
    DEMO_AGENT,
    DEMO_ALIAS,
    OPENAI_AGENT,
    agent_for_model,
    anthropic_agent,
    default_agent_name,
    default_agent_problem,
    demo_agent,
    openai_agent,
)
from .anthropic_provider import DEFAULT_MAX_TOKENS, stream_anthropic
from .config import (
    ConfigError,
    ModelConfig,
    ProviderConfig,
    RamifyConfig,
    config_path,
    load_config,
    parse_config,
    set_setting,
)
from .demo import DEMO_MODEL, demo_reply, stream_demo
from .errors import MissingKeyError, ProviderError, provider_error
from .keys import DEFAULT_KEY_ENV, api_key, has_api_key
from .openai_provider import stream_openai
from .pricing import estimate_cost, format_cost
from .roles import anthropic_conversation, openai_conversation
from .stream import StreamResult, TokenStream

__all__ = [
    "ANTHROPIC_AGENT",
    "DEFAULT_KEY_ENV",
    "DEFAULT_MAX_TOKENS",
    "DEMO_AGENT",
    "DEMO_ALIAS",
    "DEMO_MODEL",
    "OPENAI_AGENT",
    "ConfigError",
    "MissingKeyError",
    "ModelConfig",
    "ProviderConfig",
    "ProviderError",
    "RamifyConfig",
    "StreamResult",
    "TokenStream",
    "agent_for_model",
    "anthropic_agent",
    "anthropic_conversation",
    "api_key",
    "close_clients",
    "config_path",
    "default_agent_name",
    "default_agent_problem",
    "demo_agent",
    "demo_reply",
    "estimate_cost",
    "format_cost",
    "has_api_key",
    "load_config",
    "openai_agent",
    "openai_conversation",
    "parse_config",
    "provider_error",
    "set_setting",
    "stream_anthropic",
    "stream_demo",
    "stream_openai",
]
