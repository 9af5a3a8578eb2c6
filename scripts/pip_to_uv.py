"""Print, one per line, the `uv pip install` options that give uv this machine's pip configuration.

Indexes, find-links and constraint files come from `pip config list` (pip.conf files and PIP_* variables), so
uv installs from the same mirrors and caps as pip would; none is written into the repository. uv takes the
first index that has a package by default; pip takes the best version across all of them, and so does uv here.
"""

import shlex
import subprocess
import sys

OPTIONS = {"index-url": "--index-url", "extra-index-url": "--extra-index-url", "find-links": "--find-links",
           "constraint": "--constraint"}


def uv_options(pip_config: str) -> list[str]:
    """The uv options for the lines of `pip config list` (`scope.key='value'`)."""
    options = ["--index-strategy", "unsafe-best-match"]
    for line in pip_config.splitlines():
        key, _, value = line.partition("=")
        option = OPTIONS.get(key.rsplit(".", 1)[-1])
        if option is None or not value:
            continue
        for item in shlex.split(value)[0].split():  # pip's values are quoted, lists space-separated
            if item not in options:  # pip lists some values twice (its config file and PIP_*)
                options += [option, item]
    return options


if __name__ == "__main__":
    config = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True)
    print("\n".join(uv_options(config.stdout)))
