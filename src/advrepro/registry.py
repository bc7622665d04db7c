"""One small registry type used for models, methods and attacks.

A config names a class by a short key (``class: pgd``); the registry maps that key to the
class. Every module of a registry's package is imported on first lookup, so adding a method
or an attack is one new file (with ``@REGISTRY.register("name")``) plus one config entry.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, package: str):
        self.kind = kind
        self.package = package
        self._entries: dict[str, type[T]] = {}
        self._imported = False

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        def add(cls: type[T]) -> type[T]:
            if name in self._entries and self._entries[name] is not cls:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._entries[name] = cls
            cls.registry_name = name
            return cls

        return add

    def _import_all(self) -> None:
        if self._imported:
            return
        package = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{self.package}.{module.name}")
        self._imported = True

    def names(self) -> list[str]:
        self._import_all()
        return sorted(self._entries)

    def get(self, name: str) -> type[T]:
        self._import_all()
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(
                f"unknown {self.kind} '{name}'; known: {', '.join(self.names())}"
            ) from None


def function_registry(table: dict[str, Callable]) -> Callable[[str], Callable]:
    """A decorator factory for registries of plain functions (plot kinds, check kinds):
    ``kind = function_registry(TABLE)``, then ``@kind("name")`` stores the function in TABLE."""
    def kind(name: str) -> Callable:
        def register(function: Callable) -> Callable:
            table[name] = function
            return function
        return register
    return kind
