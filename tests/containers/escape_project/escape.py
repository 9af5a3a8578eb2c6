"""A container that tries to get out: reads, lists and writes the host paths it is given, and searches every file
it can see for the secrets it is told about. It reports what it saw in <output>/report.json and exits 0."""

import json
import os
import sys
from collections.abc import Callable

SKIPPED = ("/proc", "/sys", "/dev", "/usr", "/lib", "/bin", "/sbin", "/etc")


def attempt(action: Callable[[str], object], path: str) -> object:
    try:
        return action(path)
    except Exception as err:  # noqa: BLE001  (every failure is a result here)
        return f"ERR {type(err).__name__}"


def read(path: str) -> str:
    with open(path) as handle:
        return handle.read(400)


def write(path: str) -> str:
    with open(path, "w") as handle:
        handle.write("pwned\n")
    return "written"


def visible_files_holding(secrets: list[str]) -> list[str]:
    own = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    found = []
    for root, dirs, files in os.walk("/"):
        if root.startswith(SKIPPED) or any(root.startswith(prefix) for prefix in own):
            dirs[:] = []
            continue
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as handle:
                    data = handle.read(1 << 16)
            except OSError:
                continue
            if any(secret.encode() in data for secret in secrets):
                found.append(path)
    return found


def main(targets_json: str, output: str) -> int:
    targets = json.loads(targets_json)
    report = {
        "read": {path: attempt(read, path) for path in targets["read"]},
        "list": {path: attempt(lambda p: sorted(os.listdir(p)), path) for path in targets["list"]},
        "write": {path: attempt(write, path) for path in targets["write"]},
        "found": visible_files_holding(targets["secrets"]),
        "environment": dict(os.environ),
    }
    with open(os.path.join(output, "report.json"), "w") as handle:
        json.dump(report, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
