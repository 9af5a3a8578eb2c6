"""A TCP proxy in front of the registry that a test switches off and on: a registry outage, as the site sees it."""

import socket
import threading

from support.tcp_bridge import bridge


class SwitchableProxy:
    """Forwards 127.0.0.1:<port> to the target while up; while down, refuses (closes) every connection."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.up = True
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """The registry's address through the proxy."""
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            threading.Thread(target=bridge, args=(client, self.target), daemon=True).start()

    def close(self) -> None:
        """Stop listening."""
        self._stop = True
        self.listener.close()
