"""A loopback TCP proxy that holds back the server's replies by ``delay`` seconds (set
it at any time), for "the database is slow" tests."""

from __future__ import annotations

import socket
import threading
import time


class SlowProxy:
    """Listens on a free loopback port and forwards to ``(host, port)``; every chunk
    the server sends waits ``delay`` seconds before it reaches the client."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.delay = 0.0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.closed = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                continue
            server.settimeout(None)
            self.sockets += [client, server]
            threading.Thread(
                target=self._pipe, args=(client, server, False), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(server, client, True), daemon=True
            ).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, slow: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if slow and self.delay:
                    time.sleep(self.delay)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        for sock in self.sockets:
            sock.close()
