"""scripts/system-deps.sh and Node.js: a usable version from apt is installed, anything older
stops with a message that names what to install. Every command the script could run is a
stand-in here (apt-get only records its arguments); nothing is installed or downloaded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system-deps.sh"
REAL_TOOLS = ("awk", "sed", "sort", "head", "tr", "cat")


def _fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A PATH with ffmpeg, ffprobe, root's id and a recording apt-get, and no node."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    for tool in ("ffmpeg", "ffprobe", "python3"):  # python3: only asked for ensurepip
        _fake(bin_dir, tool, "exit 0")
    _fake(bin_dir, "id", "echo 0")
    _fake(bin_dir, "apt-get", f'echo "$@" >> "{tmp_path}/apt-get.log"')
    return bin_dir


def _apt_offers(bin_dir: Path, version: str) -> None:
    _fake(bin_dir, "apt-cache", f'echo "nodejs:"; echo "  Candidate: {version}"')


def _run(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([shutil.which("bash") or "/bin/bash", str(SCRIPT), "run"],
                          env={"PATH": str(bin_dir)}, capture_output=True, text=True,
                          timeout=60, check=False)


def _installed(bin_dir: Path) -> str:
    log = bin_dir.parent / "apt-get.log"
    return log.read_text() if log.exists() else ""


def test_debian_12s_nodejs_is_not_installed_and_the_message_says_what_to_do(
        machine: Path) -> None:
    _apt_offers(machine, "18.19.0+dfsg-6~deb12u2")
    result = _run(machine)
    assert result.returncode == 1
    assert "Node.js 20.19 or newer" in result.stderr and "nodejs 18.19.0" in result.stderr
    assert "NodeSource" in result.stderr and "Debian 13" in result.stderr
    assert "nodejs" not in _installed(machine) and "npm" not in _installed(machine)


def test_an_old_node_already_installed_is_named(machine: Path) -> None:
    _apt_offers(machine, "18.19.0+dfsg-6~deb12u2")
    _fake(machine, "node", "echo v18.19.0")
    _fake(machine, "npm", "exit 0")
    result = _run(machine)
    assert result.returncode == 1
    assert "the installed node is 18.19.0" in result.stderr
    assert _installed(machine) == ""


def test_a_new_enough_nodejs_from_apt_is_installed(machine: Path) -> None:
    _apt_offers(machine, "1:22.11.0-1nodesource1")
    result = _run(machine)
    assert result.returncode == 0, result.stderr
    assert "nodejs" in _installed(machine) and "npm" in _installed(machine)


@pytest.mark.parametrize("version", ["v20.19.0", "v22.3.1", "v24.0.0"])
def test_a_new_enough_node_passes_quietly(machine: Path, version: str) -> None:
    _fake(machine, "node", f"echo {version}")
    _fake(machine, "npm", "exit 0")
    result = _run(machine)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and _installed(machine) == ""


def test_node_20_18_is_too_old(machine: Path) -> None:
    _fake(machine, "node", "echo v20.18.3")
    _fake(machine, "npm", "exit 0")
    assert _run(machine).returncode == 1
