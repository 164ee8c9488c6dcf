"""The lock files agree with pyproject.toml, and ``gardien --version`` answers without settings.

A dependency added to pyproject.toml without ``make lock`` fails here, by name, rather than on
a server; so does a lock whose runtime pins differ from the ones the tests ran with.
(The release itself is built, installed and run by deploy/check-release.sh in CI.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gardien.cli.main import main

ROOT = Path(__file__).parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")
# The target of the locks (docs/deployment.md): Python 3.11 on Linux x86_64.
TARGET = {"python_version": "3.11", "python_full_version": "3.11.7", "sys_platform": "linux"}


def pins(lock: str, environment: dict[str, str] | None = TARGET) -> dict[str, tuple[str, int]]:
    """Each package pinned for ``environment`` (None: this interpreter's): its version and how
    many hashes the lock gives."""
    found: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for line in (ROOT / "requirements" / lock).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            name, pinned, marker = match.groups()
            current = None
            if marker is None or Marker(marker).evaluate(environment):
                current = canonicalize_name(name)
                assert current not in found, f"{lock}: {name} pinned twice"
                found[current] = (pinned, 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            pinned, hashes = found[current]
            found[current] = (pinned, hashes + 1)
    return found


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("runtime.lock", PROJECT["dependencies"]),
        ("dev.lock", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]),
    ],
)
def test_every_dependency_is_pinned_within_its_range_with_hashes(
    lock: str, requirements: list[str]
) -> None:
    pinned = pins(lock)
    assert pinned and all(hashes > 0 for _, hashes in pinned.values())
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in {lock}: run make lock"
        assert requirement.specifier.contains(pinned[name][0], prereleases=True), (
            f"{lock} pins {requirement.name}=={pinned[name][0]}, outside {requirement.specifier}:"
            " run make lock"
        )


def test_a_server_runs_the_versions_the_tests_ran() -> None:
    runtime, dev = pins("runtime.lock"), pins("dev.lock")
    assert {name: pin for name, (pin, _) in runtime.items()} == {
        name: dev[name][0] for name in runtime
    }


def test_the_environment_runs_the_locked_versions() -> None:
    # `make install` installs dev.lock: what is installed here is what the lock says.
    for name, (pinned, _) in pins("dev.lock", None).items():
        assert version(name) == pinned, name


def test_version_names_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"gardien {version('gardien')}\n"


def test_version_answers_before_any_setting_is_judged() -> None:
    # In production with a weak key every command refuses to run; --version still answers, as
    # the first command an operator types on a server not yet configured.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GARDIEN_")},
        "GARDIEN_ENVIRONMENT": "production",
        "GARDIEN_SECRET_KEY": "short",
    }
    gardien = [sys.executable, "-m", "gardien"]
    answer = subprocess.run(
        [*gardien, "--version"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (answer.returncode, answer.stdout) == (0, f"gardien {version('gardien')}\n")
    refused = subprocess.run(
        [*gardien, "db", "current"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0
    assert "GARDIEN_SECRET_KEY" in refused.stderr
