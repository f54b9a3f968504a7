"""Paths to the configurations and checkpoints that ship with metanas.

The repository's top-level ``configs/`` and ``checkpoints/`` folders install as the package
data of ``metanas.configs`` and ``metanas.checkpoints``, so ``--config configs/warm_start.yaml``
or ``checkpoint: checkpoints/nbg`` work from an installed wheel as well as from a checkout.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

_T = TypeVar("_T")

__all__ = ["SHIPPED_FOLDERS", "check_output_folder", "dataclass_from_mapping", "read_yaml_mapping", "resolve_path"]

#: Relative path prefixes that may name shipped package data, and the package holding it.
SHIPPED_FOLDERS = {"configs": "metanas.configs", "checkpoints": "metanas.checkpoints"}


def resolve_path(path: str | Path) -> Path:
    """Resolve a user path, falling back to the shipped copy of ``configs/...`` or ``checkpoints/...``.

    A path that exists (relative to the working directory, or absolute) is returned as it is, so a
    user's own ``configs/`` folder always wins. Otherwise a relative path whose first part is
    ``configs`` or ``checkpoints`` is looked up in the installed package data; when that exists
    too its path is returned. Anything else comes back unchanged, so the caller's own
    "not found" error names the path the user gave.

    Args:
        path: a file or folder path as the user wrote it.

    Returns:
        The path to read.
    """
    p = Path(path).expanduser()
    if p.exists() or p.is_absolute() or not p.parts:
        return p
    package = SHIPPED_FOLDERS.get(p.parts[0])
    if package is None:
        return p
    shipped = Path(str(importlib.resources.files(package))).joinpath(*p.parts[1:])
    return shipped if shipped.exists() else p


def read_yaml_mapping(path: str | Path, what: str) -> tuple[Path, dict]:
    """Read a YAML file that must hold a mapping (an empty file is an empty mapping).

    The path goes through `resolve_path` first, so shipped configs resolve from a wheel too.

    Args:
        path: the file as the user gave it.
        what: what the file is, for messages (e.g. ``"warm-start config"``).

    Returns:
        The resolved path and the mapping.

    Raises:
        ConfigError: the file is missing, a directory, not UTF-8 text, not valid YAML, or does not
            hold a mapping.
    """
    import yaml

    from .exceptions import ConfigError

    p = resolve_path(path)
    if p.is_dir():
        raise ConfigError(f"{what} {p} is a directory; pass a YAML file")
    if not p.is_file():
        raise ConfigError(f"{what} {p} not found; pass the path of a YAML file")
    try:
        data = yaml.safe_load(p.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {p} is not UTF-8 text (a binary file?); pass a YAML file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {p} is not valid YAML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{what} {p} could not be read: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {p} must hold a mapping of settings, got {type(data).__name__}")
    return p, data


def check_output_folder(path: str | Path, what: str) -> Path:
    """Check, before any work starts, that ``path`` can become an output folder.

    It may exist as a folder or not exist yet; it must not be a file, and no part of it may be
    a file either (``results.csv/out``).

    Args:
        path: the folder as the user gave it.
        what: the option or argument it came from, for messages (e.g. ``"--out"``).

    Returns:
        The path, expanded.

    Raises:
        ConfigError: the path or one of its parents is an existing file.
    """
    from .exceptions import ConfigError

    p = Path(path).expanduser()
    for part in (p, *p.parents):
        if part.exists() and not part.is_dir():
            where = "is" if part == p else f"lies under {part}, which is"
            raise ConfigError(f"{what} must be a folder, but {p} {where} an existing file; "
                              "pass a folder path (existing or new)")
    return p


def dataclass_from_mapping(cls: type[_T], config: Mapping[str, Any] | None, what: str, example: str = "") -> _T:
    """``cls(**config)`` for a config dataclass, after checking ``config`` at the boundary.

    Args:
        cls: the dataclass.
        config: a mapping of its field names to values (``None``: the defaults).
        what: how messages name the config (e.g. ``"warm-start config"``).
        example: an example mapping for the message when ``config`` is not a mapping.

    Raises:
        ConfigError: ``config`` is not a mapping, has a non-string or unknown key (the message
            lists the known ones), or ``cls`` refuses a value.
    """
    from metanas.exceptions import ConfigError

    if config is not None and not isinstance(config, Mapping):
        hint = f"; e.g. {example}" if example else ""
        raise ConfigError(f"the {what} must be a mapping of keys to values (or None for the defaults), "
                          f"got {type(config).__name__}{hint}")
    config = dict(config or {})
    bad = [k for k in config if not isinstance(k, str)]
    if bad:
        raise ConfigError(f"{what} keys must be strings, got {bad!r}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ConfigError(f"unknown {what} key(s) {unknown}; known keys: {sorted(known)}")
    return cls(**config)
