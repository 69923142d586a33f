"""ramify.themes: Ramify's own Textual themes."""
