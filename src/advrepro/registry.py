"""One small registry type used for models, methods and attacks.

A config names a class by a short key (``class: pgd``); the registry maps that key to the
class. Every module of a registry's package is imported on first lookup, so adding a method
or an attack is one new file (with ``@REGISTRY.register("name")``) plus one config entry.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

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


def declared_names(package: str) -> dict[str, dict[str, str | None] | None]:
    """The names registered in ``package``, read from its ``@X.register("name")`` decorators
    without importing it, each with the options its class's constructor declares: option ->
    its annotation's source text (None where unannotated; advrepro.options reads it). A class
    without a constructor inherits its base class's (of the same package); one taking
    ``**options`` adds its ``extra_options`` dict (option -> annotation text), or is None where
    it declares none, so any option is passed on. Config validation runs in the Snakefile,
    where importing the packages (and so torch) would add seconds to every DAG construction;
    tests check that this agrees with the imported registry and the constructors' signatures."""
    classes, registered = _registered_classes(package)
    return {
        name: _constructor_parameters(classes, class_name)
        for name, class_name in registered.items()
    }


def declared_defaults(package: str) -> dict[str, dict]:
    """The defaults of the options the constructors of ``package``'s registered classes declare
    (option -> default, literals only), read from the source like ``declared_names``: the one
    place an option's default is stated is its constructor's signature, and config validation,
    the derived masking attacks, the reporting and the cost estimate all read it from there."""
    classes, registered = _registered_classes(package)
    return {
        name: _literal_defaults(_constructor(classes, class_name)[1])
        for name, class_name in registered.items()
    }


def declared_required(package: str) -> dict[str, set[str]]:
    """The options each registered class of ``package`` requires: its constructor's
    parameters without a default (``self`` and the builder's arguments aside: config
    validation removes those), read from the source like ``declared_names``."""
    classes, registered = _registered_classes(package)

    def required(class_name: str) -> set[str]:
        init = _constructor(classes, class_name)[1]
        if init is None:
            return set()
        positional = init.args.args[1:]  # not self
        without = positional[: len(positional) - len(init.args.defaults)]
        keyword = [a for a, d in zip(init.args.kwonlyargs, init.args.kw_defaults) if d is None]
        return {a.arg for a in [*without, *keyword]}

    return {name: required(class_name) for name, class_name in registered.items()}


def declared_norms(package: str) -> dict[str, str | None]:
    """The distance each registered class of ``package`` declares as its class attribute
    ``norm`` ("linf", "l2", "l0"; from its own body or its first base class's of the same
    package), None where it declares none or chooses per instance (an option ``norm``), read
    from the source like ``declared_names``: config validation checks a budget against it."""
    classes, registered = _registered_classes(package)

    def norm_of(class_name: str) -> str | None:
        node = classes.get(class_name)
        if node is None:
            return None
        for statement in node.body:
            target = getattr(statement, "target", None) or next(
                iter(getattr(statement, "targets", [])), None
            )
            if getattr(target, "id", None) == "norm" and isinstance(statement.value, ast.Constant):
                return statement.value.value
        bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
        return norm_of(bases[0]) if bases else None

    return {name: norm_of(class_name) for name, class_name in registered.items()}


def _literal_defaults(init: ast.FunctionDef | None) -> dict:
    if init is None:
        return {}
    args = init.args
    with_default = args.args[len(args.args) - len(args.defaults) :]
    pairs = [
        *zip(with_default, args.defaults),
        *((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None),
    ]
    return {a.arg: ast.literal_eval(d) for a, d in pairs if _is_literal(d)}


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


@functools.cache
def _registered_classes(package: str) -> tuple[dict[str, ast.ClassDef], dict[str, str]]:
    """Every class of ``package`` by name, and registered name -> class name."""
    spec = importlib.util.find_spec(package)
    classes, registered = {}, {}
    for folder in spec.submodule_search_locations:
        for path in Path(folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.ClassDef):
                    continue
                classes[node.name] = node
                for decorator in node.decorator_list:
                    if (
                        isinstance(decorator, ast.Call)
                        and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr == "register"
                        and decorator.args
                        and isinstance(decorator.args[0], ast.Constant)
                    ):
                        registered[decorator.args[0].value] = node.name
    return classes, registered


def _constructor(
    classes: dict[str, ast.ClassDef], class_name: str
) -> tuple[ast.ClassDef | None, ast.FunctionDef | None]:
    """(the class that defines it, the ``__init__``) of a class: its own, or its first base
    class's (of the same package) where it has none; (None, None) for a base class outside
    the package."""
    node = classes.get(class_name)
    if node is None:
        return None, None
    init = next(
        (f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None
    )
    if init is None:
        bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
        return _constructor(classes, bases[0]) if bases else (None, None)
    return node, init


def _constructor_parameters(
    classes: dict[str, ast.ClassDef], class_name: str
) -> dict[str, str | None] | None:
    node, init = _constructor(classes, class_name)
    if init is None:
        return None  # a base class outside the package: not known here
    named = {
        arg.arg: ast.unparse(arg.annotation) if arg.annotation is not None else None
        for arg in init.args.args[1:] + init.args.kwonlyargs
    }
    if init.args.kwarg is None:
        return named
    # a constructor taking **options declares them in a class-level ``extra_options`` dict
    extra = next(
        (
            statement.value
            for statement in node.body
            if isinstance(statement, ast.Assign)
            and any(getattr(t, "id", None) == "extra_options" for t in statement.targets)
        ),
        None,
    )
    return None if extra is None else {**named, **ast.literal_eval(extra)}


def function_registry(table: dict[str, Callable]) -> Callable[[str], Callable]:
    """A decorator factory for registries of plain functions (plot kinds, check kinds):
    ``kind = function_registry(TABLE)``, then ``@kind("name")`` stores the function in TABLE."""

    def kind(name: str) -> Callable:
        def register(function: Callable) -> Callable:
            table[name] = function
            return function

        return register

    return kind
