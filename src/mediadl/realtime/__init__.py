"""Live progress: an event hub (in-process or Redis pub/sub) and the WebSocket fan-out.

Producers (the dispatcher's job events, the queue service, log records) publish ``Event``
objects to the hub from any thread; every API process delivers them to its own sockets,
each socket with its own bounded buffer (ADR 0005).
"""
