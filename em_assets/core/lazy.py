"""Lazy public APIs for the wings: names resolve to their modules on first use (PEP 562).

Each wing's `__init__` declares its public names and the module holding each, as scikit-image's
packages do, without importing heavy dependencies (matplotlib, dask, the portal client) until used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, list[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """The `__getattr__`, `__dir__` and `__all__` of a package exporting names from its modules.

    Parameters
    ----------
    package : str
        The package's `__name__`.
    exports : mapping of str to list of str
        For each module of the package (by its name inside the package), the names it exports.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, __all__)`` to assign in the package's `__init__`.
    """
    owner = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in owner:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{owner[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(owner)

    return __getattr__, __dir__, sorted(owner)
