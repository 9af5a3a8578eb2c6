"""The one YAML loader for files from users and containers: safe tags, and size, depth and alias limits.

PyYAML's safe loader builds only plain data, but an alias bomb (nested anchors, "billion laughs") builds a
graph whose expansion grows without bound once anything walks it (JSON, hashing, the release policy), and
deep nesting exhausts the stack. This loader refuses, while composing, a document that is larger than
``max_bytes``, nests deeper than ``max_depth``, uses more than ``max_aliases`` aliases, refers to itself,
or whose expansion would hold more than ``max_nodes`` nodes. Every refusal is one line naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from medperf.errors import ConfigError
from medperf.input_files import DEFAULT_MAX_BYTES, as_mapping, read_text_file

__all__ = ["YamlLimits", "load_yaml_file", "load_yaml_text", "read_yaml_mapping"]


@dataclass(frozen=True)
class YamlLimits:
    """How much one YAML document may hold."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = 64
    max_aliases: int = 1000
    max_nodes: int = 1_000_000


DEFAULT_LIMITS = YamlLimits()


class _LimitExceeded(yaml.YAMLError):
    """A limit of YamlLimits was passed (carries the one-line reason)."""


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that counts depth and aliases while composing and measures the expansion after."""

    limits: YamlLimits = DEFAULT_LIMITS

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise _LimitExceeded(f"uses more than {self.limits.max_aliases} aliases")
        self._depth += 1
        try:
            if self._depth > self.limits.max_depth:
                raise _LimitExceeded(f"is nested deeper than {self.limits.max_depth} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> Node | None:
        node = super().compose_document()
        if node is not None:
            _expanded_size(node, self.limits.max_nodes)
        return node


def _expanded_size(root: Node, limit: int) -> int:
    """How many nodes the document holds once every alias is expanded; refused past limit or on a cycle."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise _LimitExceeded("refers to itself through an alias")
        in_progress.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                total += size(child)
                if total > limit:
                    break
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > limit:
                    break
        in_progress.discard(key)
        if total > limit:
            raise _LimitExceeded(f"expands to more than {limit} values (an alias bomb?)")
        sizes[key] = total
        return total

    return size(root)


def load_yaml_text(text: str, source: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """Parse one YAML document within limits; ConfigError naming source (and the line) otherwise."""
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise ConfigError(f"{source} is larger than {limits.max_bytes} bytes; it is too large to read")
    loader_class = type("_Loader", (_LimitedLoader,), {"limits": limits})
    loader = loader_class(text)
    try:
        return loader.get_single_data()
    except _LimitExceeded as err:
        raise ConfigError(f"{source} {err}; it is refused") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or "syntax error"
        raise ConfigError(f"{source} is not valid YAML{where}: {problem}; fix the syntax") from None
    except (RecursionError, ValueError, TypeError, OverflowError) as err:
        # a value PyYAML cannot build (e.g. a timestamp out of range, an unhashable key)
        raise ConfigError(f"{source} holds a value that cannot be read ({type(err).__name__}); fix it") from None
    finally:
        loader.dispose()


def load_yaml_file(
    path: Path, what: str, limits: YamlLimits = DEFAULT_LIMITS, *, follow_symlinks: bool = True
) -> Any:
    """Read a regular UTF-8 file and parse it with load_yaml_text (follow_symlinks=False for container outputs)."""
    text = read_text_file(path, what, limits.max_bytes, follow_symlinks=follow_symlinks)
    return load_yaml_text(text, f"{what} {path}", limits)


def read_yaml_mapping(path: Path, what: str, limits: YamlLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Parse a YAML file whose top level is a mapping; ConfigError naming the file (and line) otherwise."""
    return as_mapping(load_yaml_file(path, what, limits), path, what)
