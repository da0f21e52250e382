"""scripts/pip_audit_report.py: what counts as audited, what is listed as NOT audited, and
when the build fails. PyPI is replaced by canned answers; nothing leaves this machine."""

from __future__ import annotations

import importlib.util
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pip_audit_report.py"
NOT_FOUND = "Dependency not found on PyPI and could not be audited: {name} ({version})"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("pip_audit_report", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


report_script = _load()
FASTAPI, PYJWT = metadata.version("fastapi"), metadata.version("pyjwt")


class Answer:
    def __init__(self, status_code: int, body: dict[str, Any] | None = None) -> None:
        self.status_code, self._body = status_code, body or {}

    def json(self) -> dict[str, Any]:
        return self._body


class CannedPyPI:
    """Project JSON per name; a name it does not know is unreachable."""

    def __init__(self, projects: dict[str, dict[str, Any]]) -> None:
        self.projects, self.asked = projects, []

    def get(self, url: str, timeout: float) -> Answer:
        name = url.rstrip("/").split("/")[-2]
        self.asked.append(name)
        if name not in self.projects:
            raise report_script.requests.ConnectionError("no route")
        return Answer(200, self.projects[name])


def _skipped(name: str, version: str) -> dict[str, Any]:
    return {"name": name, "skip_reason": NOT_FOUND.format(name=name, version=version)}


def _project(version: str, *vulns: dict[str, Any]) -> dict[str, Any]:
    return {"info": {"version": version}, "vulnerabilities": list(vulns)}


def _outcome(report: dict[str, Any], pypi: CannedPyPI,
             capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = report_script.print_outcome(report_script.run(report, pypi))
    return code, capsys.readouterr().out


def test_a_pin_at_the_latest_release_is_audited_from_the_project_json(capsys) -> None:
    pypi = CannedPyPI({"fastapi": _project(FASTAPI)})
    code, out = _outcome({"dependencies": [_skipped("fastapi", FASTAPI)]}, pypi, capsys)
    assert code == 0 and "1 of 1 dependencies audited, no known vulnerabilities" in out
    assert "NOT audited" not in out and pypi.asked == ["fastapi"]


def test_a_vulnerability_of_the_latest_release_fails_the_build(capsys) -> None:
    vuln = {"id": "PYSEC-0000-1", "fixed_in": ["99.0"], "withdrawn": None}
    withdrawn = {"id": "PYSEC-0000-2", "fixed_in": [], "withdrawn": "2026-01-01"}
    pypi = CannedPyPI({"fastapi": _project(FASTAPI, vuln, withdrawn)})
    code, out = _outcome({"dependencies": [_skipped("fastapi", FASTAPI)]}, pypi, capsys)
    assert code == 1
    assert f"KNOWN VULNERABILITY in fastapi {FASTAPI}: PYSEC-0000-1 (fixed in 99.0)" in out
    assert "PYSEC-0000-2" not in out


def test_a_pin_behind_the_latest_release_is_listed_as_not_audited(capsys) -> None:
    pypi = CannedPyPI({"fastapi": _project("999.0"), "pyjwt": _project(PYJWT)})
    report = {"dependencies": [_skipped("fastapi", FASTAPI), _skipped("pyjwt", PYJWT)]}
    code, out = _outcome(report, pypi, capsys)
    assert code == 0
    assert "1 of 2 dependencies were NOT audited" in out
    assert f"fastapi {FASTAPI} (PyPI's latest is 999.0)" in out
    assert "1 of 2 dependencies audited" in out


def test_what_pip_audit_audited_itself_counts_and_fails_on_a_finding(capsys) -> None:
    report = {"dependencies": [
        {"name": "pyjwt", "version": PYJWT, "vulns": []},
        {"name": "fastapi", "version": FASTAPI,
         "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["99.1"]}]},
        {"name": "mediadl", "skip_reason": "distribution marked as editable"}]}
    pypi = CannedPyPI({})
    code, out = _outcome(report, pypi, capsys)
    assert code == 1 and "GHSA-xxxx (fixed in 99.1)" in out and pypi.asked == []


def test_offline_nothing_is_audited_says_so_and_does_not_fail(capsys) -> None:
    report = {"dependencies": [_skipped("fastapi", FASTAPI), _skipped("pyjwt", PYJWT)]}
    code, out = _outcome(report, CannedPyPI({}), capsys)
    assert code == 0
    assert "dependencies NOT audited" in out and "2 of 2 dependencies were NOT audited" in out


def test_no_report_at_all_is_not_audited(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "pip-audit.json"
    empty.write_text("")
    assert report_script.main([str(empty)]) == 0
    assert "NOT audited" in capsys.readouterr().out


def test_the_script_reads_a_real_report_file(tmp_path: Path, capsys,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pip-audit.json"
    path.write_text(json.dumps({"dependencies": [{"name": "pyjwt", "version": PYJWT,
                                                  "vulns": []}]}))
    monkeypatch.setattr(report_script.requests, "Session", lambda: CannedPyPIContext())
    assert report_script.main([str(path)]) == 0
    assert "1 of 1 dependencies audited" in capsys.readouterr().out


class CannedPyPIContext(CannedPyPI):
    def __init__(self) -> None:
        super().__init__({})

    def __enter__(self) -> CannedPyPIContext:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
