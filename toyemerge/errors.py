"""How the entry points end when something goes wrong: one line on stderr and a documented exit status.

    0    done
    2    a mistake the user can fix: `error: <what, where, and how to fix it>`
    130  interrupted with Ctrl-C (SIGINT): `interrupted: <what was kept>; <how to resume>` (a shell
         also reads 130 when CPython ends by re-raising SIGINT, which it does after a Ctrl-C that
         landed inside a lazy import, even when the interrupt was handled and the line printed)
    143  stopped by SIGTERM: the same line
    1    Hydra's own command-line errors, before toyemerge runs (an unknown `+exp=`, an override
         that does not parse): Hydra's message, as Hydra prints it

Every file toyemerge writes is written aside and renamed into place, so an interrupt never leaves
a half-written file behind; the interrupt line says what was kept.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import signal
import sys
from collections.abc import Callable, Iterator

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM


class ToyemergeError(Exception):
    """A mistake in the input (data, config, files) that the user can fix; the message says how."""


class ConfigError(ToyemergeError, ValueError):
    """A config value that cannot work (a width of 0, K larger than the test set, ...)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs and the same line is printed."""


class Interrupted(Exception):
    """An interrupt, with the line that says what was kept and how to resume."""

    def __init__(self, message: str, terminated: bool = False):
        super().__init__(message)
        self.status = EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


KEPT_ON_INTERRUPT = ("every file written so far is whole (each is written aside, then renamed); "
                     "run the same command again")

_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free space, or point store= / paths.experiments= elsewhere",
    errno.EACCES: "no permission to write there: fix the permissions, or point store= / paths.* elsewhere",
    errno.EROFS: "that file system is read-only: point store= / paths.experiments= / paths.figures= elsewhere",
    errno.EDQUOT: "the disk quota is exceeded: free space, or point store= elsewhere",
}


def fail(line: str, status: int = EXIT_USER_ERROR) -> SystemExit:
    """Print `line` on stderr and return the SystemExit to raise (`raise fail(...)`)."""
    print(line, file=sys.stderr, flush=True)
    return SystemExit(status)


@contextlib.contextmanager
def user_errors(kept: str = KEPT_ON_INTERRUPT) -> Iterator[None]:
    """Turn known user mistakes and interrupts into one line and their exit status (SystemExit).

    `kept` is what an interrupt leaves behind, for the `interrupted:` line.
    """
    try:
        yield
    except ToyemergeError as e:
        raise fail(f"error: {e}") from None
    except Interrupted as e:
        raise fail(f"interrupted: {e}", e.status) from None
    except KeyboardInterrupt as e:
        raise fail(f"interrupted: {kept}", EXIT_TERMINATED if isinstance(e, Terminated) else EXIT_INTERRUPTED) from None
    except ModuleNotFoundError as e:
        if e.name not in ("torch", "torchvision"):
            raise
        raise fail(f"error: training needs PyTorch ({e.name} is not installed here): pip install 'toyemerge[train]'. "
                   f"Re-scoring, figures, the explorer page and rescore need only the base install.") from None
    except MemoryError:
        raise fail("error: out of memory; choose smaller scales (family.scales=...) or a smaller "
                   "train.batch_size / train.eval_batch_size") from None
    except OSError as e:
        if e.errno in _OS_HINTS:
            where = f" ({e.filename})" if e.filename else ""
            raise fail(f"error: cannot write{where}: {e.strerror}; {_OS_HINTS[e.errno]}.") from None
        raise


def _terminate(signum, frame) -> None:
    raise Terminated()


def command(main: Callable[[], object]) -> Callable[[], object]:
    """An entry point around a Hydra main: SIGTERM stops it like Ctrl-C, and an interrupt that
    comes while Hydra is still starting (before the task runs) is one line too."""

    @functools.wraps(main)
    def run() -> object:
        signal.signal(signal.SIGTERM, _terminate)
        with user_errors("nothing was written yet"):
            return main()

    return run
