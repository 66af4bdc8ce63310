"""Watching a backend's grpc.health.v1 status during a spread fleet.

A server that got SIGTERM turns its health NOT_SERVING before it drains
(docs/design.md §3.8); a spread fleet then sends that backend nothing more,
rather than entries a draining server would not read (they would wait for
its drain to end before being re-sent).

The two messages are built from a descriptor in a private pool rather than
generated: generated modules for grpc/health/v1/health.proto would sit at
`grpc.health.v1`, inside grpcio's own package, and a copy registered in the
default pool would clash with grpcio-health-checking's if the caller also
imports it.
"""

from __future__ import annotations

import threading
from typing import Any

import grpc
from google.protobuf import (  # type: ignore[import]
    descriptor_pb2, descriptor_pool, message_factory)

_SERVICE = "mtasts.v1.MtaStsChecker"
_NOT_SERVING = 2


def _messages() -> tuple[Any, Any]:
    f = descriptor_pb2.FileDescriptorProto(
        name="mtasts_client/health.proto", package="grpc.health.v1",
        syntax="proto3")
    request = f.message_type.add(name="HealthCheckRequest")
    request.field.add(name="service", number=1,
                      type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    response = f.message_type.add(name="HealthCheckResponse")
    response.field.add(
        name="status", number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_ENUM,
        type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus",
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    status = response.enum_type.add(name="ServingStatus")
    for number, name in enumerate(
            ("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN")):
        status.value.add(name=name, number=number)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    factory = message_factory.MessageFactory(pool)
    return (factory.GetPrototype(
        pool.FindMessageTypeByName("grpc.health.v1.HealthCheckRequest")),
            factory.GetPrototype(
                pool.FindMessageTypeByName(
                    "grpc.health.v1.HealthCheckResponse")))


HealthCheckRequest, HealthCheckResponse = _messages()


def watch(channel: grpc.Channel, backend: Any,
          cond: threading.Condition) -> Any:
    """Starts a Watch of mtasts.v1.MtaStsChecker on channel; each status
    sets backend.serving (and backend.stats.not_serving) under cond and
    wakes its waiters. Returns the call (cancel() it when done). A server
    without the health service, or a watch that fails, leaves the backend
    serving: its streams say whether it works."""
    method = channel.unary_stream(
        "/grpc.health.v1.Health/Watch",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=HealthCheckResponse.FromString)
    call = method(HealthCheckRequest(service=_SERVICE))

    def run() -> None:
        try:
            for response in call:
                with cond:
                    backend.serving = response.status != _NOT_SERVING
                    if not backend.serving:
                        backend.stats.not_serving = True
                    cond.notify_all()
        except grpc.RpcError:
            pass
        with cond:
            backend.serving = True
            cond.notify_all()

    threading.Thread(target=run, name="mtasts-fleet health",
                     daemon=True).start()
    return call
