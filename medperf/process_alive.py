"""Whether a process still runs: reaped when it is our child, and an exited process that waits to be reaped
(a zombie) counts as ended."""

import contextlib
import os
from pathlib import Path


def process_alive(pid: int) -> bool:
    """True while `pid` runs; False once it exited, even before its parent (maybe init, maybe slow) reaps it."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc here: kill(0) said it exists
    return state not in ("Z", "X")
