"""The operational state of one server process, kept on ``AppContext.ops``: applied
runtime settings, the storage guard's findings, metrics and the background loops."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mediadl.monitoring.loops import PeriodicTask
from mediadl.monitoring.metrics import Metrics
from mediadl.settings.overrides import OverrideTracker
from mediadl.storage.state import StorageState


@dataclass
class OpsState:
    overrides: OverrideTracker = field(default_factory=OverrideTracker)
    storage: StorageState = field(default_factory=StorageState)
    metrics: Metrics = field(default_factory=Metrics)
    loops: list[PeriodicTask] = field(default_factory=list)
    # Named checks of parts that run elsewhere in the process (the dispatcher thread).
    liveness: dict[str, Callable[[], bool]] = field(default_factory=dict)
