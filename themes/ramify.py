"""Ramify's own colour themes, dark and light."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.theme import Theme

if TYPE_CHECKING:
    from textual.app import App

RAMIFY_DARK = Theme(
    name="ramify-dark",
    primary="#5FB3B3",
    secondary="#C594C5",
    accent="#F9AE58",
    warning="#F9AE58",
    error="#EC5F66",
    success="#99C794",
    foreground="#D8DEE9",
    background="#1B2B34",
    surface="#22343F",
    panel="#2B3F4C",
    dark=True,
)

RAMIFY_LIGHT = Theme(
    name="ramify-light",
    primary="#1F7A7A",
    secondary="#8A4F9E",
    accent="#B35C00",
    warning="#B35C00",
    error="#C0392B",
    success="#2E7D32",
    foreground="#1B2B34",
    background="#FAFAF7",
    surface="#F0F0EA",
    panel="#E3E6E0",
    dark=False,
)

THEMES: tuple[Theme, ...] = (RAMIFY_DARK, RAMIFY_LIGHT)
DEFAULT_THEME = RAMIFY_DARK.name


def register_themes(app: App[Any]) -> None:
    """Register every Ramify theme on `app` (selecting one stays the caller's choice)."""
    for theme in THEMES:
        app.register_theme(theme)
