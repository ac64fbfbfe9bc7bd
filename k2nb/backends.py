"""Where requests go: cached SDK clients per endpoint, and the loopback servers of the offline engines.

The toy engine and replays are served over real loopback HTTP so they take exactly the path a real
provider takes (openai SDK, SSE, the accumulator): no special case in the agent. Their clients
ignore proxy settings (``HTTP_PROXY`` …): loopback traffic must never leave the machine.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx2

from .config import DEFAULT_MODEL, ProviderSettings
from .core.events import Event
from .edge.provider import ChatClient
from .edge.recorder import Recorder
from .edge.recording import default_path, load_recording
from .engines.replay_check import ReplayChecker
from .errors import ConfigError

ENGINES = "toy, replay:FILE.jsonl, replay:NOTEBOOK.ipynb[#N]"

DEFAULT_TOY_SPEED = 60.0  # tokens/s: a live demo streams like the real model
DEFAULT_REPLAY_SPEED = 1.0  # × the recorded pace


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number; set it to e.g. {default:g} (0 = instant).") from None


def toy_speed(explicit: float | None = None) -> float:
    """Toy pacing in tokens/s: the explicit value, else ``K2NB_TOY_SPEED``, else 60 (0 = instant)."""
    return max(explicit, 0.0) if explicit is not None else _env_float("K2NB_TOY_SPEED", DEFAULT_TOY_SPEED)


def replay_speed(explicit: float | None = None) -> float:
    """Replay pace factor: the explicit value, else ``K2NB_REPLAY_SPEED``, else 1 (0 = instant)."""
    return max(explicit, 0.0) if explicit is not None else _env_float("K2NB_REPLAY_SPEED", DEFAULT_REPLAY_SPEED)


def recorder_for(record: str | pathlib.Path | None) -> Recorder | None:
    """The recorder ``record`` asks for: None (no recording), ``""`` (a timestamped file here) or a path."""
    return None if record is None else Recorder(record or default_path())


def engine_settings(engine: str | None, model: str | None) -> ProviderSettings | None:
    """What ``--engine`` stands for: the toy preset, a replay, or None (no engine given)."""
    if not engine:
        return None
    if engine == "toy":
        return ProviderSettings("toy", None, model or DEFAULT_MODEL)
    if engine.startswith("replay:") and engine[len("replay:") :].strip():
        return ProviderSettings("replay", None, model or DEFAULT_MODEL)
    raise ConfigError(f"unknown engine {engine!r}; use one of: {ENGINES}.")


@dataclass
class Connection:
    """What one run talks to, and what listens to it; ``close()`` after the run."""

    settings: ProviderSettings
    client: Any
    consumers: list[Callable[[Event], None]] = field(default_factory=list)
    watchers: list[Callable[[Event], Sequence[Event]]] = field(default_factory=list)  # may answer with events
    stack: ExitStack = field(default_factory=ExitStack)

    def close(self) -> None:
        self.stack.close()


def loopback_client(settings: ProviderSettings) -> ChatClient:
    """A client for one of our loopback servers: no proxies from the environment, ever."""
    return ChatClient(settings, http_client=httpx2.Client(trust_env=False))


class Backends:
    """Owned by one kernel's magics (or one Agent): nothing here is module-global."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str, str], ChatClient] = {}
        self._toy: Any = None
        self.toy_speed: float | None = None  # None: K2NB_TOY_SPEED, else 60 tokens/s
        # A default model a server did not offer -> the one used instead, per (base URL, model), for the kernel's life.
        self._fallbacks: dict[tuple[str, str], str] = {}

    def keep_fallback(self, resolved: ProviderSettings, model: str) -> None:
        self._fallbacks[(resolved.base_url or resolved.provider, resolved.model)] = model

    def fallback(self, resolved: ProviderSettings) -> ProviderSettings:
        """``resolved`` with the replacement found earlier for its default model (a model the user named stays)."""
        model = self._fallbacks.get((resolved.base_url or resolved.provider, resolved.model))
        if model is None or not resolved.model_is_default:
            return resolved
        return replace(resolved, model=model, model_is_default=False)

    def toy_base_url(self) -> str:
        if self._toy is None:
            from .engines.server import ChatServer
            from .engines.toy import ToyEngine

            self._toy = ChatServer(ToyEngine(), dialect="moonshot").start()
        speed = toy_speed(self.toy_speed)
        self._toy.tokens_per_second = speed or None  # read per response: a change applies at once
        return str(self._toy.base_url)

    def client(self, settings: ProviderSettings) -> ChatClient:
        toy = settings.is_toy
        if toy:
            settings = settings.with_base_url(self.toy_base_url())
        assert settings.base_url is not None
        key = (settings.base_url, settings.api_key or "", settings.model)
        if key not in self._clients:
            self._clients[key] = loopback_client(settings) if toy else ChatClient(settings)
        client = self._clients[key]
        client.settings = settings
        return client

    def connect(
        self,
        settings: ProviderSettings,
        *,
        prompt: str,
        engine: str | None = None,
        recorder: Recorder | None = None,
        speed: float | None = None,
    ) -> Connection:
        """The client for one run: the provider's, or a replay of ``engine``; recorded by ``recorder``."""
        connection = Connection(settings, None)
        try:
            if settings.provider == "replay":
                assert engine is not None and engine.startswith("replay:")
                recording = load_recording(engine[len("replay:") :].strip(), prompt)
                factor = replay_speed(speed)
                connection.client = connection.stack.enter_context(self.replay(recording, speed=factor))
                connection.settings = connection.client.settings
                connection.watchers.append(ReplayChecker(recording, speed=factor))
            else:
                connection.client = self.client(settings)
            if recorder is not None:
                connection.stack.callback(recorder.close)
                connection.client = recorder.wrap(connection.client)
                connection.consumers.append(recorder)
        except BaseException:
            connection.close()
            raise
        return connection

    @contextmanager
    def replay(self, recording: Any, *, speed: float) -> Iterator[ChatClient]:
        """A client talking to a fresh loopback server that replays ``recording`` (one run)."""
        from .engines.replay import ReplayEngine
        from .engines.server import ChatServer

        server = ChatServer(
            ReplayEngine(recording, speed=speed),
            models=(recording.model,),
            strict_reasoning=False,  # the payloads are what they were; history rules were checked live
        ).start()
        client = loopback_client(ProviderSettings("replay", server.base_url, recording.model))
        try:
            yield client
        finally:
            client.close()
            server.stop()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self._toy is not None:
            self._toy.stop()
            self._toy = None
