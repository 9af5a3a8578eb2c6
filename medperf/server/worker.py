"""One registry worker under `medperf.server.supervisor`: uvicorn on an inherited listening socket."""

import argparse
import os
import socket
import sys

import uvicorn

APP = "medperf.server.app:app_from_environment"


class BeatingServer(uvicorn.Server):
    """uvicorn's server that writes one byte a second to the supervisor's pipe from its event loop.

    A worker whose event loop is stuck (a request that blocks it, a deadlock, SIGSTOP) stops beating, and the
    supervisor replaces it. If the supervisor is gone (the pipe is broken), the worker shuts down too.
    """

    def __init__(self, config: uvicorn.Config, heartbeat_fd: int | None) -> None:
        super().__init__(config)
        self.heartbeat_fd = heartbeat_fd

    async def on_tick(self, counter: int) -> bool:
        if self.heartbeat_fd is not None and counter % 10 == 0:
            try:
                os.write(self.heartbeat_fd, b".")
            except BlockingIOError:
                pass  # the supervisor has not read for a while; its last beats are there
            except OSError:
                self.should_exit = True  # the supervisor died: do not serve on alone
        return await super().on_tick(counter)


def main(argv: list[str] | None = None) -> int:
    """Serve the app (settings from MEDPERF_SERVER_*) on the socket at --fd until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--heartbeat-fd", type=int, default=None)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    if args.heartbeat_fd is not None:
        os.set_blocking(args.heartbeat_fd, False)
    config = uvicorn.Config(APP, factory=True, log_level=args.log_level, access_log=False)
    server = BeatingServer(config, args.heartbeat_fd)
    server.run(sockets=[sock])
    return 0 if server.started else 3


if __name__ == "__main__":
    sys.exit(main())
