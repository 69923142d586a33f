"""ramify.compat: run code written for other agent frameworks on Ramify's core.

`ramify.compat.miniagents` mirrors MiniAgents' module paths, so a MiniAgents program runs
when only its import lines change. The adapters are thin: agents, calls, promises and
sequences are Ramify's own; only names, defaults and MiniAgents' data-model conventions are
translated.
"""
