"""Cost estimates from token usage and the prices in the config."""

from __future__ import annotations

__all__ = ["estimate_cost", "format_cost"]


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
