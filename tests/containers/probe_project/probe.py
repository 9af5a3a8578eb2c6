"""Test probe run inside a container: each sub-command tries one thing a test then checks."""

import os
import socket
import sys
import time


def main(action: str, *args: str) -> int:
    if action == "connect":  # connect HOST PORT: exit 0 if a connection opened
        try:
            socket.create_connection((args[0], int(args[1])), timeout=3).close()
        except OSError as err:
            print(f"connect failed: {err}")
            return 3
        print("connected")
        return 0
    if action == "write":  # write PATH: exit 0 if the file could be written
        try:
            with open(args[0], "w") as handle:
                handle.write("tampered\n")
        except OSError as err:
            print(f"write failed: {err}")
            return 4
        return 0
    if action == "sleep":
        print("sleeping", flush=True)
        time.sleep(float(args[0]))
        return 0
    if action == "crash":
        for i in range(50):
            print(f"working on step {i}")
        print("fatal: the model weights are corrupt", file=sys.stderr)
        return 7
    if action == "copy":  # copy SRC_DIR DST_DIR: copy every file, uppercased
        for name in os.listdir(args[0]):
            with open(os.path.join(args[0], name)) as src, open(os.path.join(args[1], name), "w") as dst:
                dst.write(src.read().upper())
        os.makedirs(os.path.join(args[1], "nested"), exist_ok=True)
        with open(os.path.join(args[1], "nested", "done.txt"), "w") as handle:
            handle.write("ok\n")
        return 0
    if action == "alloc":  # alloc MB: hold that much memory
        block = bytearray(int(args[0]) * 1024 * 1024)
        print(f"allocated {len(block)} bytes")
        return 0
    if action == "noop":
        return 0
    print(f"unknown action {action}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
