"""Errors k2nb shows to the user. Each message says what happened and how to fix it."""

from __future__ import annotations


class K2Error(Exception):
    """Base class: shown as one clear line (no traceback) by the magic."""

    prefix = "k2nb"

    def __str__(self) -> str:
        return f"{self.prefix}: {self.args[0] if self.args else ''}"


class ConfigError(K2Error):
    """Bad flag, bad setting, or a missing key."""


class ProviderError(K2Error):
    """The model server refused the request; retrying will not help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ModelNotFound(ProviderError):
    """404 for the model; ``offered`` is the server's list (a default model may fall back to one of them)."""

    def __init__(self, message: str, *, model: str, offered: list[str]) -> None:
        super().__init__(message, status=404)
        self.model, self.offered = model, offered


class TransientError(K2Error):
    """A failure that a retry may cure (429 overloaded, 5xx, cut stream, reset connection)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IncompleteStream(TransientError):
    """The stream ended before ``data: [DONE]``."""


class RunStopped(K2Error):
    """The user stopped the run (Stop button or kernel interrupt)."""
