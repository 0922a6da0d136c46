"""The Docker image, built and tested for real with podman by docker/test-image.sh.

Runs when FAKESERVICES_TEST_IMAGE=1, or when it is unset and podman is set up (podman on PATH and
the local base image present, see docker/README.md). FAKESERVICES_TEST_IMAGE=0 skips
it. Select it alone with ``pytest -m podman``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "test-image.sh"
SANDBOX_CONF = Path("/etc/containers/containers.conf.d-sandbox")

pytestmark = pytest.mark.podman


def podman_env() -> dict[str, str]:
    env = dict(os.environ)
    if "CONTAINERS_CONF" not in env and SANDBOX_CONF.exists():
        env["CONTAINERS_CONF"] = str(SANDBOX_CONF)
    return env


def podman_ready() -> tuple[bool, str]:
    if shutil.which("podman") is None:
        return False, "podman is not installed (see docker/README.md)"
    base = subprocess.run(
        ["podman", "image", "exists", "localhost/python-base:bookworm"],
        env=podman_env(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    if base.returncode != 0:
        return False, "podman is not set up (see docker/README.md)"
    return True, ""


def should_run() -> tuple[bool, str]:
    flag = os.environ.get("FAKESERVICES_TEST_IMAGE")
    if flag == "1":
        return True, ""
    if flag is not None:
        return False, f"FAKESERVICES_TEST_IMAGE={flag}"
    return podman_ready()


@pytest.mark.timeout(900)
def test_image_builds_serves_and_stops_cleanly() -> None:
    run, reason = should_run()
    if not run:
        pytest.skip(f"image test skipped: {reason}; set FAKESERVICES_TEST_IMAGE=1 to force it")
    # Builds the image, runs it, sends SMTP/Stripe/Twilio traffic from this interpreter (which
    # has the SDKs), checks non-root and a clean stop; see the script's header.
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=ROOT,
        env={**podman_env(), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=880,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "test-image: OK" in done.stdout, output
