"""icop's errors: one base, a few kinds, each with the exit code the command line maps it to.

Every message names what is wrong, where (file and line when there is one) and what to do. The
``icop`` command catches :class:`IcopError` alone; anything else is a bug and keeps its
traceback.

=====================  =========  ==========================================================
error                  exit code  raised for
=====================  =========  ==========================================================
IcopError              1          a run that cannot go on (lock held, disk, engine missing)
InputError             2          unusable input: files, columns, options, operating points
ConfigError            2          a configuration file with a wrong or unknown key or value
KeywordListError       2          problems in keyword list files (every one is listed)
BundleError            3          a model bundle that cannot be trusted or read
=====================  =========  ==========================================================
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class IcopError(Exception):
    """Base of icop's errors; ``exit_code`` is what the command line exits with."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, fix: str | None = None):
        self.message, self.path, self.line, self.fix = message, path, line, fix
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else f"{self.path}: " if self.path else ""
        return f"{where}{self.message}" + (f"; {self.fix}" if self.fix else "")


class InputError(IcopError):
    """An input, option or data table that cannot be used."""

    exit_code = 2


class ConfigError(InputError):
    """A configuration file with a wrong value or an unknown key."""


class KeywordListError(InputError):
    """One or more problems in keyword list files; each names file, line and the fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class BundleError(IcopError):
    """A model bundle that cannot be trusted or read; names the file and the problem."""

    exit_code = 3


def check_known_keys(keys: Iterable[str], known: Iterable[str], where: str) -> None:
    """Raise :class:`ConfigError` for the first unknown key, naming the nearest known one."""
    known = list(known)
    for key in keys:
        if key not in known:
            nearest = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {nearest[0]!r}?" if nearest else f"known keys: {', '.join(known)}"
            raise ConfigError(f"unknown key {key!r}", path=where, fix=hint)


def load_settings(path: str | Path, keys: Iterable[str], *, fix: str) -> dict:
    """A TOML settings file (an evaluation suite, the gates) that holds exactly ``keys``: an
    unreadable file, an unknown key (with the nearest known one) or a missing key is a
    :class:`ConfigError`; ``fix`` says where the shipped settings are."""
    import tomllib

    keys = list(keys)
    try:
        settings = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"cannot read the settings ({err})", path=str(path), fix="give a UTF-8 TOML file") from err
    check_known_keys(settings, keys, str(path))
    missing = [k for k in keys if k not in settings]
    if missing:
        raise ConfigError(f"missing key(s) {missing}", path=str(path), fix=fix)
    return settings
