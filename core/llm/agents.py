"""LLM agents: `openai_agent`, `anthropic_agent`, `demo_agent`, and `agent_for_model`.

Each agent awaits its whole input, then replies one streamed `AssistantMessage` whose
``model``, ``agent_alias`` and ``role`` are known before the first token. When the stream
ends, the usage (input/output tokens, finish reason, final model name, a cost estimate
where the config gives prices) is added to the message and to the call's run.

    gpt = openai_agent.fork(model="gpt-4o-mini", temperature=0.7)
    async for promise in gpt.inquire("Hello", system="Be brief.", max_tokens=50):
        async for token in promise:
            print(token, end="")

Provider failures (`ProviderError`) end the reply at the position they happened: with
errors-as-messages the message resolves to an `ErrorMessage` (its ``partial_text`` keeps
what streamed), otherwise consuming it raises the `ProviderError`. Cancelling the reply
closes the HTTP stream and keeps the partial reply (``promise.partial().cancelled``).

Run by a session (`Session.inquire`, not called inside another agent's run), the session's
breakpoints on the agent's alias stop it like a tool loop's model step
(`ramify.core.tools.gate`): before the model is asked (the last message's text editable) or
after its reply is recorded, each as an `InterruptMessage` reply that leaves the run waiting.
Run again from the answer (`answer_interrupt`), the agent reads the edit instead of the
recorded text, and after an answered "after" breakpoint it replies nothing: the model is
never asked again for what it already said.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..agents import Agent, InteractionContext, agent
from ..frozen import FrozenMapping
from ..messages import AssistantMessage, Message
from ..promising import MessagePromise
from .anthropic_provider import stream_anthropic
from .config import RamifyConfig, load_config
from .demo import DEMO_MODEL, stream_demo
from .keys import DEFAULT_KEY_ENV, has_api_key
from .openai_provider import stream_openai
from .pricing import configured_prices, estimate_cost
from .stream import StreamResult, TokenStream

if TYPE_CHECKING:
    from ..tools.gate import Gate

__all__ = [
    "ANTHROPIC_AGENT",
    "DEFAULT_TOKENS_PER_SECOND",
    "DEMO_AGENT",
    "DEMO_ALIAS",
    "OPENAI_AGENT",
    "agent_for_model",
    "anthropic_agent",
    "default_agent_name",
    "default_agent_problem",
    "demo_agent",
    "openai_agent",
    "settle_usage",
]

#: The name `agent_for_model` and the config's ``default_agent`` use for the demo model.
DEMO_ALIAS = "demo"
#: The demo model's default pace, about as fast as a hosted model streams.
DEFAULT_TOKENS_PER_SECOND = 60.0

_OPENAI_PREFIXES = ("gpt-", "chatgpt-", "o1", "o3", "o4")
_ANTHROPIC_PREFIXES = ("claude-",)

StreamFactory = Callable[[list[Message]], TokenStream]


def settle_usage(
    ctx: InteractionContext,
    fields: dict[str, Any],
    result: StreamResult,
    alias: str,
    model: str,
) -> None:
    """Put what a finished (or broken-off) model stream reports into the reply's `fields`
    (model, token counts, finish reason, and the cost where prices are known) and the run's
    usage: every model agent ends its token stream with this."""
    input_price, output_price = configured_prices(alias, (model, result.model))
    cost = estimate_cost(
        result.input_tokens,
        result.output_tokens,
        input_price=input_price,
        output_price=output_price,
    )
    fields.update(
        model=result.model,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        finish_reason=result.finish_reason,
    )
    if cost is not None:
        fields["cost"] = cost
    ctx.record_usage(
        input_tokens=result.input_tokens, output_tokens=result.output_tokens, cost=cost
    )


def _plain(value: Any) -> Any:
    """`value` with frozen containers turned back into lists and dicts, for the SDKs."""
    if isinstance(value, FrozenMapping):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _plain_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in kwargs.items()}


def _breakpoints(ctx: InteractionContext, history: list[Message]) -> Gate | None:
    """The session's breakpoints and the answers in `history`; None outside a session, and
    for a call inside another agent's run (a team's member, a network's relay), whose caller
    could not go on from an answer."""
    if ctx.session is None or ctx.run is None or ctx.run.parent_run_id is not None:
        return None
    # Breakpoints belong to the tools layer, above this one (the tool loop's steps stop at
    # the same ones): imported when a session first runs a model agent.
    from ..tools.gate import model_step_gate

    return model_step_gate(ctx.session, history)


async def _reply_streamed(ctx: InteractionContext, model: str, factory: StreamFactory) -> None:
    """Reply one `AssistantMessage` streamed from `factory(input)`; record its usage. In a
    session, stop at a breakpoint before or after it (see the module docstring)."""
    messages = list(await ctx.message_promises)
    alias = ctx.this_agent.alias
    gate = _breakpoints(ctx, messages)
    if gate is not None:
        if gate.answered_after_model(alias, messages):
            return
        stop = gate.before_model(alias, messages)
        if stop is not None:
            ctx.reply(stop)
            return
        messages = gate.model_view(messages)

    async def tokens(fields: dict[str, Any]) -> AsyncIterator[str]:
        stream = factory(messages)
        first = True
        try:
            async with stream:  # leaving it (a cancel included) closes the HTTP stream
                async for token in stream:
                    if first:
                        first = False
                        ctx.mark_first_token()
                    yield token
        finally:
            settle_usage(ctx, fields, stream.result, alias, model)

    promise = MessagePromise(
        tokens,
        message_class=AssistantMessage,
        errors_as_messages=ctx.errors_as_messages,
        model=model,
        agent_alias=alias,
        role="assistant",
    )
    ctx.reply(promise)
    # Stay in the call until the reply has streamed, so the run records its usage; a
    # failure is already recorded in the message at its position, so it is not re-raised.
    try:
        message = await promise
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        return
    except Exception:
        return
    if gate is not None and isinstance(message, AssistantMessage):
        stop = gate.after_model(alias, message)
        if stop is not None:
            ctx.reply(stop)


def _required_model(kwargs: Mapping[str, Any], agent_name: str) -> str:
    model = kwargs.get("model")
    if not isinstance(model, str) or not model:
        raise TypeError(f"{agent_name} needs a model: {agent_name}.fork(model='...')")
    return model


@agent(alias="OPENAI_AGENT")
async def openai_agent(ctx: InteractionContext, **kwargs: Any) -> None:
    """Chat Completions streaming, for OpenAI and OpenAI-compatible endpoints (``base_url``).

    Kwargs (at fork or call time): ``model`` (required), ``system``, ``temperature``,
    ``max_tokens``, ``base_url``, ``api_key_env``, ``provider`` (the name in error texts),
    ``timeout``, ``max_retries`` and any other ``chat.completions.create`` parameter.
    """
    params = _plain_kwargs(kwargs)
    model = _required_model(params, "openai_agent")
    params.setdefault("default_role", "user")
    await _reply_streamed(ctx, model, lambda messages: stream_openai(messages, **params))


@agent(alias="ANTHROPIC_AGENT")
async def anthropic_agent(ctx: InteractionContext, **kwargs: Any) -> None:
    """Anthropic Messages streaming.

    Kwargs (at fork or call time): ``model`` (required), ``system``, ``temperature``,
    ``max_tokens`` (default `DEFAULT_MAX_TOKENS`), ``base_url``, ``api_key_env``,
    ``provider``, ``timeout``, ``max_retries`` and any other ``messages.create`` parameter.
    """
    params = _plain_kwargs(kwargs)
    model = _required_model(params, "anthropic_agent")
    params.setdefault("default_role", "user")
    await _reply_streamed(ctx, model, lambda messages: stream_anthropic(messages, **params))


@agent(alias="DEMO_AGENT")
async def demo_agent(
    ctx: InteractionContext,
    *,
    model: str = DEMO_MODEL,
    tokens_per_second: float = DEFAULT_TOKENS_PER_SECOND,
    default_role: Any = "user",
    **_ignored: Any,
) -> None:
    """The offline demo model: a deterministic markdown reply quoting the last user message.

    ``tokens_per_second`` sets the pace (0: as fast as possible). Provider parameters
    (``system``, ``temperature``, ``max_tokens`` ...) are accepted and ignored, so the demo
    agent can stand in for any other.
    """
    await _reply_streamed(
        ctx,
        model,
        lambda messages: stream_demo(
            messages,
            tokens_per_second=tokens_per_second,
            default_role=default_role,
            model=model,
            attempt=ctx.attempt,
        ),
    )


OPENAI_AGENT = openai_agent
ANTHROPIC_AGENT = anthropic_agent
DEMO_AGENT = demo_agent


def _is_demo(name: str) -> bool:
    return name in (DEMO_ALIAS, DEMO_MODEL)


def _guess_kind(name: str) -> str | None:
    """The provider kind of a bare model name not in the config, by its well-known prefix."""
    if name.startswith(_OPENAI_PREFIXES):
        return "openai"
    if name.startswith(_ANTHROPIC_PREFIXES):
        return "anthropic"
    return None


def _key_env_of(name: str, config: RamifyConfig) -> tuple[bool, str | None]:
    """(whether `name` is usable at all, the env var its key comes from or None)."""
    if name in config.models:
        return True, config.provider_of(name).key_env
    kind = _guess_kind(name)
    if kind is None:
        return False, None
    return True, DEFAULT_KEY_ENV[kind]


def default_agent_name(config: RamifyConfig | None = None) -> str:
    """The model to use when none is picked: the config's ``default_agent`` if it can run
    (its key env var is set, or it needs no key), else the demo model (`DEMO_ALIAS`)."""
    config = config if config is not None else load_config()
    name = config.default_agent
    if _is_demo(name) or default_agent_problem(config) is not None:
        return DEMO_ALIAS
    return name


def default_agent_problem(config: RamifyConfig | None = None) -> str | None:
    """Why the config's ``default_agent`` cannot run, in one line saying what to do; None
    when it can (or is the demo model). `default_agent_name` falls back to the demo model
    exactly when this names a problem."""
    config = config if config is not None else load_config()
    name = config.default_agent
    if _is_demo(name):
        return None
    usable, key_env = _key_env_of(name, config)
    if not usable:
        known = ", ".join([DEMO_ALIAS, *sorted(config.models)])
        return (
            f"default_agent {name!r} is not a configured model (configured: {known}); "
            f"add a [models.{name}] table or pick one of them"
        )
    if key_env is not None and not has_api_key(key_env):
        return f"default_agent {name!r} needs an API key in ${key_env}; set it and restart"
    return None


def agent_for_model(name: str | None, config: RamifyConfig | None = None) -> Agent:
    """The agent for model alias `name` (None: `default_agent_name`).

    A configured model becomes `openai_agent` or `anthropic_agent` forked with its API
    name, ``base_url``, key env var and provider name, under the alias `name`. ``"demo"`` or
    ``"ramify-demo"`` is `demo_agent`; an unconfigured ``gpt-*`` / ``o1...`` / ``claude-*``
    name uses the standard provider. `config` defaults to `load_config()` (which raises
    `ConfigError` for a broken file); an unknown name raises `ValueError`.
    """
    config = config if config is not None else load_config()
    if name is None:
        name = default_agent_name(config)
    if _is_demo(name):
        return demo_agent
    if name in config.models:
        provider_name = config.models[name].provider
        provider = config.provider_of(name)
        kind: str = provider.kind
        options: dict[str, Any] = {
            "model": config.model_name(name),
            "api_key_env": provider.key_env,
            "provider": _display_provider(provider_name, kind),
        }
        if provider.base_url is not None:
            options["base_url"] = provider.base_url
    else:
        guessed = _guess_kind(name)
        if guessed is None:
            known = ", ".join([DEMO_ALIAS, *sorted(config.models)])
            raise ValueError(f"unknown model {name!r}; configured models: {known}")
        kind = guessed
        options = {"model": name}
    base = anthropic_agent if kind == "anthropic" else openai_agent
    if kind == "anthropic" and options.get("api_key_env") is None:
        options.pop("api_key_env", None)  # Anthropic always needs a key: the standard var
    return base.fork(alias=name, **options)


def _display_provider(name: str, kind: str) -> str:
    builtin = {"openai": "OpenAI", "anthropic": "Anthropic"}
    return builtin[name] if name in builtin and kind == name else name
