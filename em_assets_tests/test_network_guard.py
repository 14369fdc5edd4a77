"""The suite cannot reach anything but loopback."""

import socket

import pytest


def test_non_loopback_connection_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(ConnectionRefusedError, match="non-loopback"):
            sock.connect(("93.184.216.34", 80))


def test_non_loopback_name_lookup_is_refused() -> None:
    with pytest.raises(socket.gaierror, match="non-loopback"):
        socket.getaddrinfo("example.org", 443)


def test_loopback_connection_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
