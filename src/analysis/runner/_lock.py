"""A lock on an output folder, so that two `connlab run` never write into the same folder at once.

Two runs into one ``--out`` used to both finish with exit 0, leaving reports of different runs and
an index that named only one of them. `FolderLock` makes the second run fail at once instead,
naming the folder and the process that holds it.

It is an ``fcntl.flock`` on ``<folder>/.connlab-run.lock``, not a lock file made with
``O_CREAT | O_EXCL``: the operating system drops an flock when its process ends, however it ends
(Ctrl-C, SIGKILL, a crash), so a lock can never be stale and no process id has to be trusted
(ids are reused, and a stale-lock check on them would race with another run taking over).
The process id written into the file only serves the messages: who holds the folder, and (a file
left behind by a run that was killed) which earlier run did not finish. ``filelock`` would do the
same but is not a dependency of ours. ``flock`` is POSIX: Linux and macOS, what we support.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

from analysis.exceptions import ParameterError
from analysis.runner.provenance import utc_now

LOCK_NAME = ".connlab-run.lock"


def _read(fd: int) -> dict:
    """The ``key=value`` lines of the lock file ({} if empty or unreadable)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8", "replace")
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class FolderLock:
    """Exclusive lock on an output folder for the life of one run (a context manager).

    After `acquire`, ``stale`` holds what an earlier run that ended without releasing the lock
    (killed) wrote into the file (``pid``, ``host``, ``started``), or {}.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.stale: dict = {}
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock, or raise ParameterError naming the folder and the process holding it."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held by a live process
                holder = _read(fd)
                os.close(fd)
                who = f"process {holder['pid']}" if holder.get("pid") else "another process"
                host = holder.get("host", socket.gethostname())
                where = f" on {host}" if host != socket.gethostname() else ""
                since = f", started {holder['started']}" if holder.get("started") else ""
                raise ParameterError(
                    f"The output folder {self.folder} is in use by another `connlab run` ({who}{where}{since}). "
                    "Wait for it to finish, stop it, or pass another --out folder."
                ) from None
            # the holder may have released (and removed) the file between our open and flock: then we hold
            # the lock of a file that no longer has this name, and must start again
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self.stale = _read(fd)  # a file with content that nobody holds: left by a run that was killed
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"pid={os.getpid()}\nhost={socket.gethostname()}\nstarted={utc_now()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        """Remove the lock file and drop the lock (removing first, so nobody locks a file about to go)."""
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
