"""A stopped service refuses connections and keeps its port, so it comes back on the same address even while
other processes (parallel tests, prove's workers) bind ephemeral ports."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from drill.sim.http.server import ServiceHost


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": True})


@pytest.fixture
def host() -> Iterator[ServiceHost]:
    with ServiceHost() as served:
        yield served


def test_a_stopped_service_refuses_and_holds_its_port_until_it_answers_again(host: ServiceHost) -> None:
    binding = host.add("svc", Starlette(routes=[Route("/", hello)]))
    with httpx.Client(timeout=5) as client:
        assert client.get(binding.url + "/").json() == {"hello": True}
        host.stop("svc")
        with pytest.raises(httpx.ConnectError):
            client.get(binding.url + "/")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as intruder, pytest.raises(OSError) as taken:
            intruder.bind((binding.host, binding.port))
        assert taken.value.errno == errno.EADDRINUSE
        host.start("svc")
        assert client.get(binding.url + "/").json() == {"hello": True}


def test_closing_the_host_releases_every_port(host: ServiceHost) -> None:
    binding = host.add("svc", Starlette(routes=[Route("/", hello)]))
    host.stop("svc")
    host.close()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((binding.host, binding.port))
