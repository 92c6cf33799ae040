"""A crawl process goes when the process that started it goes (Linux first, any POSIX after).

A crawl runs as `python -m crawler.run … --parent-pid PID` in a process group of its own, so
a SIGKILL to the scheduler (or `kuzet crawl`) outside systemd would leave it running, with no
time limit, writing to the database. Two guards, both in the crawl process itself (set after
exec: no `preexec_fn`, which is unsafe in the threaded scheduler):

- on Linux, `prctl(PR_SET_PDEATHSIG, SIGTERM)`: the kernel sends SIGTERM the moment the parent
  dies, and Scrapy stops as it does for the scheduler's own SIGTERM (its runs closed). Strictly,
  when the parent *thread* that started it ends: `kuzet.crawl.crawl` waits for its crawl in that
  thread, so the two coincide;
- a watchdog thread notices the parent is gone (the process was re-parented) within a second:
  without prctl it sends that SIGTERM itself; either way, a crawl still running `grace`
  seconds later exits at once (the next start of the scheduler closes its runs).

`orphaned_crawl(pid)` is the scheduler's side, at start: is this live pid a crawl whose parent
is gone (one that did not stop)? Read from /proc: its command line names the parent it was
started by, and its parent is now another process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

#: `prctl` option: the signal this process gets when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
#: How often the watchdog looks at its parent (seconds).
WATCH_EVERY = 1.0
#: Exit status of a crawl stopped because its parent was gone.
ORPHAN_EXIT = 75
PARENT_OPTION = "--parent-pid"


def die_with_parent(parent_pid: int, grace: float) -> None:
    """In a crawl process: stop when process `parent_pid` (which started it) is gone.

    Exits at once if it is gone already (re-parented before this was set up).
    """
    asked = _set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent_pid:
        sys.exit(f"crawl: the process that started it ({parent_pid}) is gone: not crawling")

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCH_EVERY)
        log.warning(
            "crawl: the process that started it (%s) is gone: stopping (at most %g s)",
            parent_pid,
            grace,
        )
        if not asked:
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        log.error("crawl: still running %g s after its parent died: exiting now", grace)
        logging.shutdown()
        os._exit(ORPHAN_EXIT)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _set_parent_death_signal(sig: signal.Signals) -> bool:
    """Ask the kernel for `sig` when the parent dies (Linux); False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    except (OSError, AttributeError) as exc:
        log.warning("crawl: cannot ask to be stopped with its parent (%s): watchdog only", exc)
        return False
    return True


def orphaned_crawl(pid: int) -> bool:
    """True if `pid` is a crawl process (`crawler.run … --parent-pid P`) whose parent P is
    gone: it was re-parented. False for anything else, or where /proc cannot tell."""
    proc = Path("/proc") / str(pid)
    try:
        argv = (proc / "cmdline").read_bytes().split(b"\0")
        stat = (proc / "stat").read_text("ascii", "replace")
    except OSError:
        return False
    args = [a.decode("utf-8", "replace") for a in argv]
    if "crawler.run" not in args or PARENT_OPTION not in args[:-1]:
        return False
    started_by = args[args.index(PARENT_OPTION) + 1]
    # /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses
    fields = stat.rpartition(")")[2].split()
    return len(fields) > 1 and fields[1] != started_by
