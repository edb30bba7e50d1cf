"""The cyclic garbage collector while a command starts.

Starting ``dataflow-rules check`` builds only objects that live as long as the process:
hundreds of modules and classes, pydantic's validators, the catalogues, the compiled
rulesets. Python's collector, run every few hundred allocations, walks all of them again
and again and finds nothing to free (about a quarter of a cold ``check``'s own CPU time
when measured), and walks them once more in the interpreter's last collection at exit. So
:func:`main`'s process pauses the collector while it starts, and :func:`resume` (once a
command's long-lived objects are built) freezes what is there, out of every later
collection (the one at exit too), and turns it back on. Cycles made after that are
collected as usual, so a long-running command (``serve``, ``batch``, ``scan``) is not
changed beyond the collector skipping its start-up objects. Only the command-line process
pauses the collector: a library caller, or a test invoking the app, is never affected.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop collecting until :func:`resume`; the command line's first step."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze every object built so far and collect again, if :func:`pause` stopped it."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
