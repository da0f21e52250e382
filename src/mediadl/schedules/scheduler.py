"""The scheduler loop inside ``serve``: every tick, claim the schedules that are due and run
them on a small pool of threads (each run lists its source in a process of its own).

Any number of ``serve`` processes may run the loop against one database: claims are
compare-and-set (see ``claims``), so each (schedule, due time) runs exactly once. The
clock is injected and ``tick(now)`` can be driven directly, which is how the tests move
time across daylight-saving changes and outages without sleeping.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from mediadl.app_context import AppContext
from mediadl.core.clock import utcnow
from mediadl.core.settings import SchedulerSettings
from mediadl.db.models.schedules import Schedule
from mediadl.schedules import claims
from mediadl.schedules.runs import Clock, ListSource, RunExecutor
from mediadl.schedules.sources import list_in_process
from mediadl.schedules.throttle import PlatformGate, PlatformThrottleGate, pause_one

log = logging.getLogger(__name__)

# A run longer than its listing deadline plus this is one whose process is gone.
INTERRUPTED_GRACE = timedelta(minutes=2)
STOPPED_REASON = "The server stopped while this run was in progress."
LOST_REASON = "The server running this run stopped answering; the run was abandoned."


class Scheduler:
    def __init__(self, context: AppContext, *, clock: Clock = utcnow,
                 list_source: ListSource = list_in_process,
                 gate: PlatformGate | None = None, run_inline: bool = False) -> None:
        self.context = context
        self.db = context.db
        self.clock = clock
        self.gate = gate or PlatformThrottleGate()
        self.instance = claims.new_instance_name()
        self.executor = RunExecutor(context, list_source, clock)
        self.run_inline = run_inline
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def settings(self) -> SchedulerSettings:
        # Read each time: an admin's change through the settings API applies at once.
        return self.context.settings.scheduler

    # -- one tick ------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[int]:
        """Claim and start every due run; returns the ids of the runs this process won."""
        now = now or self.clock()
        self._fail_lost_runs(now)
        with self.db.read() as session:
            due = claims.due_ticks(session, now)
        started = []
        for tick in due:
            if tick.due + claims.jitter(tick.schedule_id, tick.due,
                                        self.settings.jitter_max_seconds) > now:
                continue
            run_id = self._claim(tick, now)
            if run_id is not None:
                started.append(run_id)
                self.submit(run_id)
        return started

    def _claim(self, tick: claims.DueTick, now: datetime) -> int | None:
        with self.db.session() as session:
            schedule = session.get(Schedule, tick.schedule_id)
            if schedule is None:
                return None
            pause = self.gate.pause_for(session, schedule, now)
            if pause is not None:
                pause_one(session, schedule.id, pause)
                return None
            run = claims.claim_tick(session, schedule, tick.due, now, self.instance)
            if run is None:
                return None
            session.flush()
            return run.id

    def _fail_lost_runs(self, now: datetime) -> None:
        cutoff = now - timedelta(seconds=self.settings.run_timeout_seconds) - INTERRUPTED_GRACE
        with self.db.read() as session:
            # Looked for first with a read: most ticks have nothing to end and need no lock.
            if not claims.runs_started_before(session, cutoff):
                return
        with self.db.session() as session:
            lost = claims.fail_interrupted(session, now, started_before=cutoff,
                                           reason=LOST_REASON)
        if lost:
            log.warning("%s schedule runs were abandoned by a server that stopped", lost)

    # -- running -------------------------------------------------------------------
    def submit(self, run_id: int) -> None:
        if self.run_inline:
            self.executor.execute(run_id)
            return
        self._runs_pool().submit(self.executor.execute, run_id)

    def _runs_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.settings.max_concurrent_runs,
                                                thread_name_prefix="schedule-run")
            return self._pool

    # -- the loop ------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        with self.db.session() as session:
            claims.fail_interrupted(session, self.clock(), instance=self.instance,
                                    reason=STOPPED_REASON)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a bad tick (database restarting) must not end the loop
                log.exception("scheduler tick failed")
            self._stop.wait(self.settings.tick_seconds)
