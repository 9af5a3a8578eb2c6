"""Writes the version of its pinned dependency and the Python it runs on."""

import os
import sys

import threadpoolctl


def main(data: str, output: str) -> None:
    with open(os.path.join(output, "environment.txt"), "w") as handle:
        handle.write(f"threadpoolctl {threadpoolctl.__version__}\nprefix {sys.prefix}\ncases {len(os.listdir(data))}\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
