"""How the entry points end when something goes wrong: one line on stderr and a documented exit status.

    0    done
    2    a mistake the user can fix: `error: <what, where, and how to fix it>`
    130  interrupted with Ctrl-C (SIGINT): `interrupted: <what was kept>; <how to resume>` (a shell
         also reads 130 when CPython ends by re-raising SIGINT, which it does after a Ctrl-C that
         landed inside a lazy import, even when the interrupt was handled and the line printed)
    143  stopped by SIGTERM: the same line

Hydra's own command-line errors (an unknown `+exp=` or key, an override that does not parse) are
user mistakes too: one `error:` line and status 2, not Hydra's multi-line report (which, for a
typo'd key, advises adding it with `+`). HYDRA_FULL_ERROR=1 shows Hydra's full traceback instead.

Every file toyemerge writes is written aside and renamed into place, so an interrupt never leaves
a half-written file behind; the interrupt line says what was kept.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import functools
import os
import re
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


def _leaf_keys(config: dict, prefix: str = "") -> dict[str, str]:
    """{last part: full key} for every key of a config (a plain dict) below its root, Hydra's own aside."""
    found = {}
    for key, value in config.items():
        if key == "hydra" or not isinstance(key, str):
            continue
        if isinstance(value, dict):
            found.update(_leaf_keys(value, f"{prefix}{key}."))
        found.setdefault(key, f"{prefix}{key}")
    return found


def hydra_error_line(error: Exception) -> str:
    """One line for an error Hydra raised while composing the config from the command line."""
    from hydra.errors import MissingConfigException, OverrideParseException
    from omegaconf import OmegaConf

    cause = error.__cause__
    parent = getattr(cause, "parent_node", None)
    if "To append to your config use +" in str(error) and parent is not None:  # a key that does not exist
        key = getattr(cause, "full_key", "") or str(error).split("'")[1]
        prefix, _, name = key.rpartition(".")
        known = [str(k) for k in parent.keys() if k != "hydra"]
        close = [f"{prefix + '.' if prefix else ''}{c}" for c in difflib.get_close_matches(name, known, n=1)]
        if not close:  # `epochs=4` for train.epochs: a key of the same name elsewhere
            elsewhere = _leaf_keys(OmegaConf.to_container(parent._get_root(), resolve=False))
            close = [elsewhere[c] for c in difflib.get_close_matches(name, list(elsewhere), n=1)]
        hint = f" (did you mean {close[0]}?)" if close else ""
        where = f"under {prefix}" if prefix else "at the top level"
        return (f"unknown config key {key}{hint}; the keys {where} are: {', '.join(known)}; "
                f"a key the config leaves out is added with a leading + (+{key}=…)")
    if isinstance(error, MissingConfigException):  # `+exp=nope`, `model=nope`
        lines = str(error).splitlines()
        group = re.search(r"Available options in '([^']+)'", str(error))
        options = [line.strip() for line in lines[lines.index(f"Available options in '{group[1]}':") + 1:]
                   if line.startswith("\t")] if group else []
        options = options[:next((i for i, o in enumerate(options) if o.startswith("provider=")), len(options))]
        missing = re.search(r"Could not find '([^']+)'", lines[0])
        what = f"there is no config {missing[1]}" if missing else lines[0]
        return f"{what}; the choices for {group[1]} are: {', '.join(options)}" if group else what
    if isinstance(error, OverrideParseException):
        return f"cannot parse the argument '{error.override}': {error.message.splitlines()[0]}"
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def command(main: Callable[[], object]) -> Callable[[], object]:
    """An entry point around a Hydra main: SIGTERM stops it like Ctrl-C, an interrupt that comes
    while Hydra is still starting (before the task runs) is one line too, and so is a command line
    that Hydra cannot compose into a config."""

    @functools.wraps(main)
    def run() -> object:
        from hydra.errors import CompactHydraException

        signal.signal(signal.SIGTERM, _terminate)
        asked_full = os.environ.get("HYDRA_FULL_ERROR") == "1"
        os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises its errors to us instead of printing them
        try:
            with user_errors("nothing was written yet"):
                return main()
        except CompactHydraException as e:
            if asked_full:
                raise
            raise fail(f"error: {hydra_error_line(e)}") from None
        finally:
            if not asked_full:
                del os.environ["HYDRA_FULL_ERROR"]

    return run
