"""ramify.tui: the Ramify terminal IDE (Textual).

Kept import-light on purpose: `ramify --version` must not pay for Textual or the SDKs.
"""
