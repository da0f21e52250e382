"""Read pip-audit's JSON report, audit what it had to skip where PyPI allows, and say plainly
what was and what was NOT audited. Exit 1 only for a known vulnerability.

pip-audit's PyPI service asks PyPI's per-release JSON (``/pypi/<name>/<version>/json``).
Where only the project JSON (``/pypi/<name>/json``) is reachable - some mirrors and
filtering proxies serve no other - every per-release answer is a 404 and pip-audit
skips each dependency as "not found on PyPI". The project JSON describes the latest
release, its ``vulnerabilities`` included, so every dependency pinned at its latest
release can still be audited from it; the others are listed as NOT audited.

Usage: python scripts/pip_audit_report.py REPORT.json
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import requests
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pip._internal.models.index import PyPI  # the index pip itself defaults to

TIMEOUT_SECONDS = 15
NOT_FOUND = "not found on PyPI"


@dataclass
class Audit:
    audited: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def describe_vulnerabilities(name: str, version: str, vulns: list[dict[str, Any]]) -> str:
    parts = []
    for vuln in vulns:
        fixed = ", ".join(vuln.get("fix_versions") or vuln.get("fixed_in") or []) or "none yet"
        parts.append(f"{vuln['id']} (fixed in {fixed})")
    return f"{name} {version}: {'; '.join(parts)}"


def latest_release_data(session: requests.Session, name: str) -> dict[str, Any] | None:
    """The project JSON (latest release and its vulnerabilities); None when unreachable."""
    url = f"{PyPI.pypi_url}/{canonicalize_name(name)}/json"
    try:
        answer = session.get(url, timeout=TIMEOUT_SECONDS)
    except requests.RequestException:
        return None
    if answer.status_code != 200:
        return None
    data: dict[str, Any] = answer.json()
    return data


def same_version(first: str, second: str) -> bool:
    try:
        return Version(first) == Version(second)
    except InvalidVersion:
        return first == second


def audit_from_latest(session: requests.Session, name: str, audit: Audit) -> None:
    version = installed_version(name)
    if version is None:
        audit.not_audited.append(f"{name} (not installed here)")
        return
    data = latest_release_data(session, name)
    if data is None:
        audit.not_audited.append(f"{name} (no answer from PyPI)")
        return
    latest = str(data.get("info", {}).get("version", ""))
    if not same_version(version, latest):
        audit.not_audited.append(f"{name} {version} (PyPI's latest is {latest})")
        return
    audit.audited.append(name)
    current = [vuln for vuln in data.get("vulnerabilities") or [] if not vuln.get("withdrawn")]
    if current:
        audit.vulnerable.append(describe_vulnerabilities(name, version, current))


def run(report: dict[str, Any], session: requests.Session) -> Audit:
    audit = Audit()
    for dependency in report.get("dependencies", []):
        name, reason = dependency["name"], dependency.get("skip_reason")
        if reason is not None and "editable" in reason:
            continue  # mediadl itself
        if reason is None:
            audit.audited.append(name)
            if dependency.get("vulns"):
                audit.vulnerable.append(describe_vulnerabilities(
                    name, dependency.get("version", "?"), dependency["vulns"]))
        elif NOT_FOUND in reason:
            audit_from_latest(session, name, audit)
        else:
            audit.not_audited.append(f"{name} ({reason})")
    return audit


def print_outcome(audit: Audit) -> int:
    total = len(audit.audited) + len(audit.not_audited)
    for line in audit.vulnerable:
        print(f"pip-audit: KNOWN VULNERABILITY in {line}")
    if audit.not_audited:
        print(f"pip-audit: {len(audit.not_audited)} of {total} dependencies were NOT audited:")
        for line in audit.not_audited:
            print(f"  - {line}")
    if audit.vulnerable:
        return 1
    if not audit.audited:
        print("pip-audit: dependencies NOT audited - no advisory data could be reached from "
              "this machine. Run 'make security' where PyPI is reachable.")
    else:
        print(f"pip-audit: {len(audit.audited)} of {total} dependencies audited, no known "
              "vulnerabilities.")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    text = path.read_text() if path.exists() else ""
    if not text.strip():
        print("pip-audit: it could not run (see .cache/pip-audit.log); dependencies NOT audited.")
        return 0
    with requests.Session() as session:
        return print_outcome(run(json.loads(text), session))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
