"""One registry worker under `medperf.server.supervisor`: uvicorn on an inherited listening socket."""

import argparse
import socket
import sys

import uvicorn

APP = "medperf.server.app:app_from_environment"


def main(argv: list[str] | None = None) -> int:
    """Serve the app (settings from MEDPERF_SERVER_*) on the socket at --fd until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    config = uvicorn.Config(APP, factory=True, log_level=args.log_level, access_log=False)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 3


if __name__ == "__main__":
    sys.exit(main())
