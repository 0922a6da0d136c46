"""The JavaScript side, run for real with Node: the `fakeservices` npm package (clients/js: built
with tsc, its node:test suites against `fakeservices serve`), the Node example shop
(examples/node) and the README's JavaScript example and GitHub Actions snippet.

Skipped only when Node 18.18+ and npm are absent, and never in CI (`.ci/run` installs them).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakeservices.server import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "clients" / "js"
EXAMPLE = ROOT / "examples" / "node"
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- test: ([\w-]+) -->\n```\w*\n(.*?)```", re.S)
NPM_TIMEOUT = 600


def _node_version() -> tuple[int, ...] | None:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in out.strip().lstrip("v").split(".")[:3])


def _require_node() -> None:
    version = _node_version()
    if version is not None and version >= (18, 18):
        return
    reason = (
        "node and npm are not installed"
        if version is None
        else f"node {'.'.join(map(str, version))} is older than 18.18"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run installs them, so CI must not skip these tests")
    pytest.skip(f"{reason} (apt-get install nodejs npm)")


def node_env(**extra: str) -> dict[str, str]:
    """This environment without FAKESERVICES_* or Twilio region settings, running our server."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FAKESERVICES_") and k not in ("TWILIO_REGION", "TWILIO_EDGE")
    }
    env["FAKESERVICES_COMMAND"] = str(Path(sys.executable).parent / "fakeservices")
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env or node_env(),
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT,
    )
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def passed(output: str) -> int:
    """The number of passing tests in node --test's summary, TAP (`# pass 7`, the default off a
    terminal up to Node 22) or spec (U+2139 then `pass 7`), asserting none failed."""
    fail = re.search(r"^(?:#|\u2139) fail (\d+)$", output, re.M)
    count = re.search(r"^(?:#|\u2139) pass (\d+)$", output, re.M)
    assert fail and count, output
    assert fail.group(1) == "0", output
    return int(count.group(1))


@pytest.fixture(scope="module")
def installed() -> None:
    """`npm ci` and the tsc builds, once per test run even with xdist workers (a lock and a stamp
    naming the run keep a second worker from reinstalling under the first one's feet)."""
    _require_node()
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid-{os.getpid()}")
    lock_path = CLIENT / ".install.lock"
    stamp = CLIENT / ".install.stamp"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not stamp.exists() or stamp.read_text() != run_id:
                stamp.unlink(missing_ok=True)
                run(["npm", "ci", "--no-audit", "--no-fund"], CLIENT)
                run(["npm", "run", "build"], CLIENT)
                run(["npm", "run", "build:test"], CLIENT)
                run(["npm", "ci", "--no-audit", "--no-fund"], EXAMPLE)
                stamp.write_text(run_id)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def readme_block(kind: str) -> str:
    found = [code for k, code in BLOCK.findall(README.read_text()) if k == kind]
    assert len(found) == 1, f"README should have one block marked <!-- test: {kind} -->"
    return found[0]


def test_js_client_declarations_are_built(installed: None) -> None:
    for name in ("index", "server", "client", "readback", "faults", "errors", "types"):
        assert (CLIENT / "dist" / f"{name}.d.ts").is_file(), name
    index = (CLIENT / "dist" / "index.d.ts").read_text()
    for exported in ("FakeServices", "TestFake", "WaitTimeout", "FaultHandle", "freshCredentials"):
        assert exported in index


def test_js_client_suites_pass(installed: None) -> None:
    built = (CLIENT / "build" / "test").glob("*.test.js")
    tests = sorted(str(p.relative_to(CLIENT)) for p in built)
    assert len(tests) >= 3, tests
    out = run(["node", "--test", *tests], CLIENT)
    assert passed(out) >= 20


def test_node_example_shop_passes(installed: None) -> None:
    out = run(["node", "--test", "test/shop.test.js"], EXAMPLE)
    assert passed(out) == 7


def test_readme_javascript_example_passes(installed: None) -> None:
    code = readme_block("node")
    target = EXAMPLE / ".readme" / f"readme-{os.getpid()}.test.js"
    target.parent.mkdir(exist_ok=True)
    target.write_text(code)
    try:
        out = run(["node", "--test", str(target.relative_to(EXAMPLE))], EXAMPLE)
    finally:
        target.unlink()
    assert passed(out) == len(re.findall(r"^test\(", code, re.M)) == 4


def test_readme_github_actions_env_runs_the_node_example(
    installed: None, server: EmbeddedServer
) -> None:
    """The snippet's `env:` (its sidecar's addresses swapped for this test's server) is all the
    example needs: its tests then use that server instead of starting one."""
    snippet = readme_block("node-ci")
    assert re.search(r"^    services:\n      fakeservices:\n        image: ", snippet, re.M)
    assert '"4010:4010", "2525:2525"' in snippet
    assert re.search(r"^      - run: npm ci && npm test$", snippet, re.M)
    env_block = re.search(r"^    env:\n((?:      \S.*\n)+)", snippet, re.M)
    assert env_block, snippet
    env = dict(re.findall(r"^      (\w+): (\S+)", env_block.group(1), re.M))
    assert set(env) == {"FAKESERVICES_URL", "FAKESERVICES_SMTP"}
    host = f"127.0.0.1:{server.http_port}"
    sidecar = {
        "FAKESERVICES_URL": env["FAKESERVICES_URL"].replace("localhost:4010", host),
        "FAKESERVICES_SMTP": env["FAKESERVICES_SMTP"].replace(
            "localhost:2525", f"{server.smtp_host}:{server.smtp_port}"
        ),
    }
    assert sidecar["FAKESERVICES_URL"] == f"http://{host}"
    environment = node_env(**sidecar)
    environment["FAKESERVICES_COMMAND"] = "/nonexistent/fakeservices"  # must not start its own
    out = run(["npm", "test"], EXAMPLE, environment)
    assert passed(out) == 7
