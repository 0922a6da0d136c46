"""The README's examples run: its pytest file, its Python snippet and its curl session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakeservices.server import EmbeddedServer

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"<!-- test: (\w+) -->\n```\w*\n(.*?)```", re.S)


def blocks(kind: str) -> list[str]:
    found = [code for k, code in BLOCK.findall(README.read_text()) if k == kind]
    assert found, f"README has no block marked <!-- test: {kind} -->"
    return found


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FAKESERVICES_")}


def test_readme_pytest_example_passes(tmp_path: Path) -> None:
    [code] = blocks("pytest")
    (tmp_path / "test_readme_example.py").write_text(code)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tests = len(re.findall(r"^def test_", code, re.M))
    assert f"{tests} passed" in proc.stdout


def test_readme_python_example_runs(tmp_path: Path) -> None:
    [code] = blocks("python")
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("http://127.0.0.1:")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_readme_curl_session_succeeds(server: EmbeddedServer, unique: str) -> None:
    [script] = blocks("curl")
    host = f"127.0.0.1:{server.http_port}"
    account = "AC" + (unique * 3)[:32]  # an Account SID of Twilio's form: AC + 32 hex
    # Run against this test's server, as its own tenant, failing on any HTTP error.
    script = (
        script.replace("localhost:4010", host)
        .replace("AC0123456789abcdef0123456789abcdef", account)
        .replace("sk_test_demo", "sk_test_" + unique)
        .replace("bob@example.com", f"bob-{unique}@example.com")
        .replace("to=%2B15558675310", f"to=%2B15558675310&account={account}")
        .replace("curl -s -X POST '127.0.0.1", "true '")  # keep the shared server's state
        .replace("curl -s ", "curl -sS --fail-with-body ")
    )
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert '"status":"succeeded"' in out.replace(" ", "")
    assert '"body":"hello"' in out.replace(" ", "")
    assert '"code":451' in out.replace(" ", "")
