"""Forward one accepted TCP connection to a target, both ways, until either side closes (the test proxies)."""

import socket
import threading
from contextlib import suppress


def bridge(client: socket.socket, target: tuple[str, int]) -> None:
    """Pump bytes between the client and a new connection to the target; closes both at the end."""
    with suppress(OSError), client, socket.create_connection(target) as server:
        pump = threading.Thread(target=_pump, args=(server, client), daemon=True)
        pump.start()
        _pump(client, server)
        pump.join()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
