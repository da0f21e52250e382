"""The deployment files are valid: `docker compose config` parses the stack (no Docker engine
is needed for that), and the Dockerfile refers to files that exist."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


@pytest.mark.skipif(_compose_command() is None, reason="neither docker compose nor docker-compose")
def test_compose_file_is_valid_and_has_the_whole_stack():
    command = _compose_command()
    assert command is not None
    env = {**os.environ, "MEDIADL_SECRET_KEY": "x" * 48}
    result = subprocess.run([*command, "-f", str(ROOT / "docker-compose.yml"), "--profile",
                             "https", "config"], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    for service in ("app:", "worker:", "postgres:", "redis:", "nginx:"):
        assert service in result.stdout
    assert "MEDIADL_BROKER_URL: redis://redis:6379/0" in result.stdout


def test_compose_refuses_to_start_without_a_secret():
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker compose nor docker-compose")
    env = {k: v for k, v in os.environ.items() if k != "MEDIADL_SECRET_KEY"}
    result = subprocess.run([*command, "-f", str(ROOT / "docker-compose.yml"), "config"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode != 0
    assert "MEDIADL_SECRET_KEY" in result.stderr


def test_dockerfile_copies_only_what_exists():
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source.rstrip("/")).exists(), source


def _resolved_stack() -> dict:  # type: ignore[type-arg]
    """The stack as compose itself resolves it (anchors, defaults), read as YAML."""
    import yaml

    command = _compose_command()
    if command is None:
        pytest.skip("neither docker compose nor docker-compose")
    env = {**os.environ, "MEDIADL_SECRET_KEY": "x" * 48}
    result = subprocess.run([*command, "-f", str(ROOT / "docker-compose.yml"), "--profile",
                             "https", "config"], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_has_no_obsolete_version_key():
    import yaml

    assert "version" not in yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_workers_build_the_same_image_as_the_app():
    services = _resolved_stack()["services"]
    assert services["worker"]["build"] == services["app"]["build"]
    assert services["worker"]["image"] == services["app"]["image"]


def test_services_wait_for_healthy_databases():
    services = _resolved_stack()["services"]
    for name in ("postgres", "redis", "app", "worker"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("app", "worker"):
        needs = services[name]["depends_on"]
        for backing in ("postgres", "redis"):
            assert needs[backing]["condition"] == "service_healthy", (name, backing)
    assert services["worker"]["depends_on"]["app"]["condition"] == "service_healthy"
