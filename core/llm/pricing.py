"""Cost estimates from token usage and the prices in the config."""

from __future__ import annotations

from collections.abc import Sequence

from .config import ConfigError, load_config

__all__ = ["configured_prices", "estimate_cost", "format_cost"]


def configured_prices(alias: str, models: Sequence[str]) -> tuple[float | None, float | None]:
    """Input and output prices per million tokens from the config, for an alias or model name.

    A config that cannot be read gives no price: a cost estimate never fails a reply.
    """
    try:
        config = load_config()
    except (ConfigError, OSError, ValueError):
        return None, None
    for key, model in config.models.items():
        if key == alias:
            return model.input_price, model.output_price
    for key, model in config.models.items():
        if key in models or (model.name is not None and model.name in models):
            return model.input_price, model.output_price
    return None, None


def estimate_cost(
    input_tokens: int | None,
    output_tokens: int | None,
    *,
    input_price: float | None,
    output_price: float | None,
) -> float | None:
    """The cost in dollars, with prices per million tokens; None when a price is unknown."""
    if input_price is None or output_price is None:
        return None
    return ((input_tokens or 0) * input_price + (output_tokens or 0) * output_price) / 1_000_000


def format_cost(cost: float | None) -> str:
    """A short display form: ``"$0.0123"``, ``"<$0.0001"``, or ``""`` when unknown."""
    if cost is None:
        return ""
    if 0 < cost < 0.0001:
        return "<$0.0001"
    return f"${cost:.4f}"
