"""Structured logging: JSON lines (timestamp, level, module, message, job id) in a rotating
file under ``data_dir/logs``, the same records on the ``/ws/logs`` stream, and the
forwarding of job processes' records to the server that writes them."""
