"""One typed settings tree, read from ``MEDIADL_*`` environment variables.

Nested groups use ``__`` (``MEDIADL_JOBS__LEASE_SECONDS=30``). An optional TOML file named by
``MEDIADL_CONFIG_FILE`` is read too; the environment wins over the file.
"""

from __future__ import annotations

import os
import secrets
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SECRET_FILE_NAME = "secret.key"  # noqa: S105 (a file name, not a secret)
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class JobSettings(BaseModel):
    lease_seconds: float = Field(30.0, gt=0,
                                 description="How long a worker owns a job without a heartbeat.")
    heartbeat_seconds: float = Field(5.0, gt=0,
                                     description="How often a running job renews its lease.")
    sweep_interval_seconds: float = Field(5.0, gt=0,
                                          description="How often expired leases are looked for.")
    max_attempts: int = Field(3, ge=1, le=50, description="Attempts before a job is marked failed.")
    backoff_base_seconds: float = Field(5.0, ge=0,
                                        description="First retry delay; doubles each attempt.")
    backoff_max_seconds: float = Field(900.0, ge=0, description="Upper bound of a retry delay.")
    poll_interval_seconds: float = Field(1.0, gt=0, description="Dispatcher wake-up when idle.")
    cancel_grace_seconds: float = Field(5.0, ge=0,
                                        description="SIGTERM to SIGKILL delay on shutdown.")
    stall_timeout_seconds: float = Field(600.0, gt=0, description="Kill a job silent this long.")
    jobs_per_process: int = Field(
        50, ge=1, le=10_000,
        description="Jobs one job process runs before it ends (1: a fresh process per job).")
    max_collection_entries: int = Field(
        5000, ge=1, le=100_000,
        description="Most entries a playlist, channel or feed is expanded into.")


class AuthSettings(BaseModel):
    access_token_minutes: int = Field(15, ge=1, le=24 * 60,
                                      description="Lifetime of a JWT access token.")
    refresh_token_days: int = Field(30, ge=1, le=365, description="Lifetime of a refresh token.")
    min_password_length: int = Field(8, ge=8, le=128, description="Shortest accepted password.")
    issuer: str = Field("mediadl", description="JWT iss/aud value.")
    # pwdlib's recommended Argon2id cost; lower it only for test suites.
    argon2_time_cost: int = Field(3, ge=1, le=20, description="Argon2id passes over memory.")
    argon2_memory_kib: int = Field(65536, ge=64, le=4 * 1024 * 1024,
                                   description="Argon2id memory per hash, in KiB.")


class SecuritySettings(BaseModel):
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins (https://host[:port]) trusted for cookie requests besides the "
                    "app's own; set the public URL when a proxy rewrites Host.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxy addresses or networks whose X-Forwarded-For is believed.")
    allowed_networks: list[str] = Field(
        default_factory=list,
        description="Private networks engines may still reach while the outbound guard is on.")
    max_queued_jobs_per_user: int = Field(10_000, ge=1,
                                          description="Unfinished jobs one user may have.")
    max_running_jobs_per_user: int = Field(0, ge=0,
                                           description="Jobs of one user run at once; 0 = no cap.")
    login_free_failures_per_account: int = Field(
        5, ge=1, le=1000, description="Failed logins of one account before delays start.")
    login_free_failures_per_address: int = Field(
        20, ge=1, le=10_000, description="Failed logins from one address before delays start.")
    login_base_delay_seconds: float = Field(2.0, gt=0, le=3600,
                                            description="First delay; doubles per failure.")
    login_max_delay_seconds: float = Field(900.0, gt=0, le=86_400,
                                           description="Longest delay between attempts.")
    login_failure_window_minutes: float = Field(
        60.0, gt=0, description="Failures older than this are forgotten.")
    hsts_seconds: int = Field(0, ge=0, description="Strict-Transport-Security max-age over "
                                                   "https; 0 leaves HSTS to the proxy.")
    # 10,000 URLs of 100 characters make a 1 MiB batch; 8 MiB leaves room for long links.
    max_body_bytes: int = Field(
        8 * 1024 * 1024, ge=64 * 1024, le=1024 * 1024 * 1024,
        description="Largest request body accepted (413 above it); keep it above "
                    "platforms.max_cookie_bytes.")


class DownloadSettings(BaseModel):
    socket_timeout_seconds: float = Field(20.0, gt=0, description="Per-read network timeout.")
    retries: int = Field(10, ge=0, le=100, description="In-engine retries of a dropped transfer.")
    fragment_concurrency: int = Field(8, ge=1, le=64, description="Parallel HLS/DASH fragments.")
    max_title_length: int = Field(150, ge=20, le=240,
                                  description="Longest file-name stem in bytes.")
    default_quality: str = Field("best", pattern=r"^(best|2160|1440|1080|720|480|360|audio)$",
                                 description="Quality of a new job that names none.")
    default_priority: Literal["high", "normal", "low"] = Field(
        "normal", description="Priority of a new job that names none.")
    per_host_connections: int = Field(
        8, ge=1, le=32,
        description="Most connections one download opens to a host (Range requests of "
                    "direct files, HLS/DASH fragments); added while they raise the speed.")
    per_host_speed_limit: int = Field(
        0, ge=0, description="Bytes/s all downloads together may take from one host; 0 = no "
                             "limit.")
    global_speed_limit: int = Field(
        0, ge=0, description="Bytes/s all downloads together may take; 0 = no limit.")
    use_aria2c: bool = Field(False, description="Let aria2c fetch large direct files when it "
                                                "is installed (slower end to end: see ADR 0007).")


class LogSettings(BaseModel):
    level: LogLevel = Field("INFO", description="Lowest level written to the JSON-lines log file.")
    stream_level: LogLevel = Field("INFO",
                                   description="Lowest level sent to /ws/logs subscribers.")
    max_file_bytes: int = Field(10 * 1024 * 1024, ge=64 * 1024,
                                description="Size at which the log file is rotated.")
    backup_count: int = Field(10, ge=1, le=1000, description="Rotated log files kept.")
    max_age_days: int = Field(14, ge=1, le=3650,
                              description="Rotated log files older than this are deleted.")


class RealtimeSettings(BaseModel):
    ticket_seconds: int = Field(30, ge=5, le=300,
                                description="Lifetime of a one-time WebSocket ticket.")
    auth_timeout_seconds: float = Field(5.0, gt=0, le=60,
                                        description="Time a new socket has to send its ticket.")
    snapshot_max_jobs: int = Field(200, ge=1, le=2000,
                                   description="Most active jobs in a WebSocket snapshot.")
    client_buffer_messages: int = Field(
        256, ge=16, le=100_000,
        description="Messages held for a slow client before it is resynced with a snapshot.")
    send_timeout_seconds: float = Field(
        15.0, gt=0, description="A socket that cannot take one message this long is closed.")
    session_check_seconds: float = Field(
        2.0, gt=0, le=60, description="How often open sockets are checked for ended sessions.")
    progress_interval_seconds: float = Field(
        0.25, ge=0.05, le=10, description="Shortest gap between progress messages of one job.")
    max_sockets_per_user: int = Field(20, ge=1, le=1000,
                                      description="Open WebSockets one account may hold.")
    log_history: int = Field(500, ge=0, le=10_000,
                             description="Recent log lines a new /ws/logs client receives.")
    redis_channel: str = Field("mediadl:events", min_length=1, max_length=200,
                               description="Redis pub/sub channel of the event hub.")


class CelerySettings(BaseModel):
    """The scaled-out mode, used when ``broker_url`` is set."""

    visibility_timeout_seconds: int = Field(
        7 * 24 * 3600, ge=60,
        description="Broker redelivery delay; longer than the longest download.")
    worker_concurrency: int | None = Field(
        None, ge=1, le=64, description="Jobs per worker; default max_concurrent_downloads.")


class StorageSettings(BaseModel):
    """Free space, quotas and the auto-cleanup policy (also editable at /api/v1/settings)."""

    reserve_bytes: int = Field(1024**3, ge=0,
                               description="Free space always left on the library's disk; "
                                           "downloads pause below it.")
    limit_bytes: int = Field(0, ge=0, description="Most bytes the library and partial "
                                                  "downloads may take; 0 = the whole disk.")
    user_quota_bytes: int = Field(0, ge=0, description="Most bytes of downloads one user may "
                                                       "keep; 0 = no quota. Admins have none.")
    check_interval_seconds: float = Field(5.0, gt=0,
                                          description="How often free space is checked.")
    cleanup_enabled: bool = Field(False, description="Run the auto-cleanup policy by itself.")
    cleanup_max_age_days: int = Field(0, ge=0, le=36500,
                                      description="Delete downloads older than this; 0 = off.")
    cleanup_max_per_source: int = Field(0, ge=0, le=1_000_000,
                                        description="Keep only the newest N downloads of each "
                                                    "source; 0 = off.")
    cleanup_interval_minutes: float = Field(60.0, gt=0,
                                            description="How often the policy runs when on.")


class NotificationSettings(BaseModel):
    poll_seconds: float = Field(2.0, gt=0, description="How often events are turned into "
                                                       "notifications and sent.")
    max_attempts: int = Field(6, ge=1, le=50, description="Sending attempts per notification.")
    retry_base_seconds: float = Field(30.0, ge=0, description="First retry delay; doubles.")
    retry_max_seconds: float = Field(3600.0, ge=0, description="Longest retry delay.")
    send_timeout_seconds: float = Field(60.0, gt=0,
                                        description="Longest time one sending run may take.")
    max_channels_per_user: int = Field(20, ge=1, le=1000,
                                       description="Notification channels one user may have.")


class SchedulerSettings(BaseModel):
    """Recurring sources: when schedules fire and how much one run may do."""

    enabled: bool = Field(True, description="Run the scheduler loop inside `serve`; several "
                                            "processes may run it, each tick fires once.")
    tick_seconds: float = Field(15.0, gt=0, le=3600,
                                description="How often due schedules are looked for.")
    jitter_max_seconds: float = Field(
        60.0, ge=0, le=3600,
        description="Most random delay added to a due run, so schedules do not stampede.")
    min_interval_minutes: int = Field(
        5, ge=1, le=10_080, description="Shortest time allowed between two runs of a schedule.")
    max_concurrent_runs: int = Field(2, ge=1, le=32,
                                     description="Schedule runs one process executes at once.")
    run_timeout_seconds: float = Field(600.0, gt=0,
                                       description="Longest time listing one source may take.")
    max_entries_per_run: int = Field(
        1000, ge=1, le=100_000,
        description="Most entries one run lists, and queues when a schedule sets no "
                    "max_items_per_run; bigger sources are backfilled over runs.")
    thread_expiry_days: int = Field(
        30, ge=0, le=3650,
        description="A forum thread schedule without new posts this long disables itself; "
                    "0 = never.")
    max_schedules_per_user: int = Field(500, ge=1, le=100_000,
                                        description="Schedules one user may have.")
    history_runs_kept: int = Field(200, ge=1, le=100_000,
                                   description="Runs kept in the history of each schedule.")


class MonitoringSettings(BaseModel):
    metrics_token: SecretStr | None = Field(
        None, description="Token a scraper sends to /metrics as 'Authorization: Bearer "
                          "<token>'; without it only an admin login reads /metrics.")
    settings_refresh_seconds: float = Field(
        5.0, gt=0, description="How often a process re-reads settings changed through the API.")


class PlatformSettings(BaseModel):
    throttle_base_seconds: float = Field(
        60.0, gt=0, description="First pause of a platform that rate-limited us; doubles.")
    throttle_max_seconds: float = Field(
        6 * 3600.0, gt=0, description="Longest pause of a rate-limited platform.")
    error_after_failures: int = Field(
        3, ge=1, le=1000, description="Failures in a row that turn a platform's state to error.")
    max_cookie_bytes: int = Field(
        1024 * 1024, ge=1024, le=16 * 1024 * 1024, description="Largest cookies.txt accepted.")


class Settings(BaseSettings):
    """Everything mediadl can be told. Every field has a safe default."""

    model_config = SettingsConfigDict(
        env_prefix="MEDIADL_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(Path("data"),
                           description="Database, library, secret and logs live here.")
    database_url: str | None = Field(None,
                                     description="SQLAlchemy URL; default SQLite in data_dir.")
    broker_url: str | None = Field(None, description="Redis URL; unset means in-process workers.")
    secret_key: SecretStr | None = Field(None, description="Signs tokens; generated on first run.")
    allow_private_networks: bool = Field(False, description="Let engines reach private addresses.")
    max_concurrent_downloads: int = Field(3, ge=1, le=64, description="Jobs run at the same time.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS.")
    adopt_library: bool = Field(False, description="Take the library folder as this "
                                "installation's storage although its marker differs from "
                                "the database's (after moving the library on purpose).")
    jobs: JobSettings = Field(default_factory=JobSettings)
    celery: CelerySettings = Field(default_factory=CelerySettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    downloads: DownloadSettings = Field(default_factory=DownloadSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    platforms: PlatformSettings = Field(default_factory=PlatformSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("MEDIADL_CONFIG_FILE")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "library"

    @property
    def work_dir(self) -> Path:
        """Job folders: partial files live here until they are moved into the library."""
        return self.data_dir / "work"

    @property
    def thumbnail_dir(self) -> Path:
        return self.data_dir / "thumbnails"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mediadl.db').resolve()}"

    def secret(self) -> str:
        if self.secret_key is None:
            raise RuntimeError("secret key not loaded; call prepare_data_dir() first")
        return self.secret_key.get_secret_value()


def prepare_data_dir(settings: Settings) -> Settings:
    """Create the data folders and load or create the persisted secret."""
    for folder in (settings.data_dir, settings.library_dir, settings.work_dir,
                   settings.thumbnail_dir, settings.log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    if settings.secret_key is None:
        secret = _load_or_create_secret(settings.data_dir / SECRET_FILE_NAME)
        settings.secret_key = SecretStr(secret)
    return settings


def _load_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must agree on one secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


@cache
def get_settings() -> Settings:
    return prepare_data_dir(Settings())
