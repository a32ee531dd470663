"""Typed configuration: dataclasses with defaults, overridden by YAML files and `key=value` flags.

Unknown keys are an error that names the key; values are converted to the field's type.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from multicap.errors import ConfigError

__all__ = ["apply_overrides", "load_yaml", "merge", "to_dict"]

T = TypeVar("T")


def load_yaml(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a YAML recipe: it is not UTF-8 text") from None
    except yaml.YAMLError as exc:  # one line: where it broke, and why
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path} is not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of sections, not {type(data).__name__}")
    return data


def merge(obj: T, data: dict[str, Any], where: str = "") -> T:
    """A copy of dataclass `obj` with `data` merged in (recursively into nested dataclasses)."""
    assert dataclasses.is_dataclass(obj) and not isinstance(obj, type)
    hints = typing.get_type_hints(type(obj))
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(f"unknown config key '{where}{key}'; known: {', '.join(sorted(names))}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            changes[key] = merge(current, value, f"{where}{key}.")
        elif dataclasses.is_dataclass(current):  # "train=3" had crashed later ("'int' object has no ...")
            known = ", ".join(sorted(f.name for f in dataclasses.fields(current)))
            raise ConfigError(
                f"config key '{where}{key}' is a section, not a value: set one of its keys "
                f"({where}{key}.KEY=VALUE); known: {known}"
            )
        else:
            changes[key] = _convert(value, hints[key], f"{where}{key}")
    return dataclasses.replace(obj, **changes)


def apply_overrides(obj: T, overrides: list[str]) -> T:
    """Apply `section.key=value` strings (values parsed as YAML: numbers, booleans, lists)."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        dotted, raw = item.split("=", 1)
        value: Any = yaml.safe_load(raw) if raw else ""
        for part in reversed(dotted.strip().split(".")):
            value = {part: value}
        obj = merge(obj, value)
    return obj


def to_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def _convert(value: Any, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    try:
        if hint is bool:
            if not isinstance(value, bool):
                raise ValueError("expected true or false")
            return value
        if hint is int and isinstance(value, float) and not value.is_integer():
            raise ValueError("expected a whole number")  # 2.5 epochs had been 2, silently
        if hint in (int, float, str):
            return hint(value)
        if origin in (tuple, list) and isinstance(value, str):  # "--set data.levels=caption,object": a
            value = [v.strip() for v in value.split(",") if v.strip()]  # list (it had been c, a, p, ...)
        if origin is tuple:
            return tuple(_convert(v, args[0], key) for v in value)
        if origin is list:
            return [_convert(v, args[0], key) for v in value] if args else list(value)
        if origin is dict:
            return dict(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config key {key}: cannot use {value!r} ({exc})") from None
    return value
