"""ramify.themes: Ramify's own Textual themes (`ramify.themes.ramify.register_themes`)."""
