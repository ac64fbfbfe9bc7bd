"""Lessons teachers give (work in progress)."""

from __future__ import annotations

from ..core import Skill, Task


def lesson_skill(task: Task) -> Skill | None:
    return None


def units_skill(task: Task) -> Skill | None:
    return None
