"""Load a Python file by its path as a module: conftests and scripts of other folders (infra/, examples/)."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_module(name: str, path: Path, *, register: bool = False) -> ModuleType:
    """The module at path, executed under name; register=True also puts it in sys.modules (for dataclasses)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"{path} is not a Python file"
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
