"""Starts `phoenix serve` with its OTLP gRPC receiver bound to 127.0.0.1.

Phoenix binds its gRPC port on every interface (`[::]:PORT`, not configurable); the tests must
stay on loopback, so this wraps grpc.aio's `add_insecure_port` to rewrite the wildcard host
before Phoenix starts. Everything else is Phoenix's own entry point (`phoenix.server.main`),
configured by the environment (PHOENIX_HOST, PHOENIX_PORT, PHOENIX_GRPC_PORT,
PHOENIX_WORKING_DIR, PHOENIX_TELEMETRY_ENABLED=false).
"""

import sys

import grpc.aio._server as _grpc_server

_add_insecure_port = _grpc_server.Server.add_insecure_port


def _loopback_only(self, address):  # type: ignore[no-untyped-def]
    host, _, port = address.rpartition(":")
    if host in ("[::]", "0.0.0.0", ""):
        address = f"127.0.0.1:{port}"
    return _add_insecure_port(self, address)


_grpc_server.Server.add_insecure_port = _loopback_only

from phoenix.server.main import main  # noqa: E402

if __name__ == "__main__":
    sys.argv = ["phoenix", "serve"]
    main()
