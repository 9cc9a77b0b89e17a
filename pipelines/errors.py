"""Errors every stage may raise: a base module, so that no stage imports the runner or the CLI."""

from __future__ import annotations


class UserError(Exception):
    """A problem the analyst can fix; shown as one line, never as a traceback."""
