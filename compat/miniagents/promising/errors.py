"""MiniAgents' error classes, mapped onto Ramify's."""

from ramify.core.promising.errors import (
    AppenderClosedError,
    AppenderNotOpenError,
    NoActiveContextError,
    PromisingError,
)

PromisingContextError = PromisingError
WrongActiveContextError = NoActiveContextError
FunctionNotProvidedError = PromisingError

__all__ = [
    "AppenderClosedError",
    "AppenderNotOpenError",
    "FunctionNotProvidedError",
    "NoActiveContextError",
    "PromisingContextError",
    "PromisingError",
    "WrongActiveContextError",
]
