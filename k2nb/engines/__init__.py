"""Offline engines and a loopback K2-compatible server, for demos and tests.

``ChatServer`` speaks the OpenAI Chat Completions API in a chosen provider dialect; a responder
(``ToyEngine``, ``ScriptedEngine``, ``ReplayEngine`` or any callable) decides each turn. ``wire`` turns a ``Turn``
into the chunks that dialect would stream.
"""

from __future__ import annotations

from .replay import ReplayEngine
from .script import ScriptedEngine, parse_script
from .server import ChatServer, HttpError, RawStream, Reply, Responder, StreamFault
from .toy import ToyEngine, toy_help
from .wire import Dialect, ToolCallSpec, Turn, turn_to_chunks

__all__ = [
    "ChatServer",
    "Dialect",
    "HttpError",
    "RawStream",
    "ReplayEngine",
    "Reply",
    "Responder",
    "ScriptedEngine",
    "StreamFault",
    "ToolCallSpec",
    "ToyEngine",
    "Turn",
    "parse_script",
    "toy_help",
    "turn_to_chunks",
]
