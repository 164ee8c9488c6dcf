"""The systemd units of deploy/systemd, read as systemd reads them and run as they would run.

Each service's command lines (``ExecStartPre=``, then each ``ExecStart=``) run with this
environment's ``gardien`` in place of /opt/gardien/venv/bin/gardien, under the environment the
unit gives: its ``Environment=`` defaults, then deploy/gardien.env.example filled in for a test
(a SQLite file, the SMTP server of tests/support/smtp.py on loopback), ``${VAR}`` expanded as
systemd does. One-shot services exit 0; the web server answers ``/health`` and ``/ready`` and
stops on SIGTERM; the outbox sender delivers a queued e-mail and stops on SIGTERM.
(``systemd-analyze verify`` itself runs in CI: deploy/verify-units.sh.)
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from gardien.settings import Settings
from tests.support.server import free_port
from tests.support.smtp import SmtpServer, smtp_server

ROOT = Path(__file__).parents[2]
UNITS = ROOT / "deploy" / "systemd"
ENV_EXAMPLE = ROOT / "deploy" / "gardien.env.example"
INSTALLED = "/opt/gardien/venv/bin/gardien"
GARDIEN = str(Path(sys.executable).with_name("gardien"))
DATA_DIR = "/var/lib/gardien"

# Every service carries these, exactly (docs/deployment.md, "What the units allow").
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "PrivateMounts": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "User": "gardien",
    "Group": "gardien",
    "UMask": "0077",
    "ReadWritePaths": DATA_DIR,
    "StateDirectory": "gardien",
    "WorkingDirectory": DATA_DIR,
    "EnvironmentFile": "/etc/gardien/gardien.env",
}
# Settings that have no place in a server's environment file.
NOT_FOR_SERVERS = {"now", "mail_sink_dir", "xapi_unknown_actors"}


@dataclass
class Unit:
    """A unit file: each section's settings in order, a key given twice kept twice."""

    name: str
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def values(self, section: str, key: str) -> list[str]:
        return [value for name, value in self.sections.get(section, []) if name == key]

    def value(self, section: str, key: str) -> str | None:
        found = self.values(section, key)
        return found[-1] if found else None


def parse_unit(path: Path) -> Unit:
    """Read a unit file as systemd does: sections, ``Key=Value`` lines, comments, ``\\`` lines."""
    unit = Unit(path.name)
    section: str | None = None
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            unit.sections.setdefault(section, [])
            continue
        assert section is not None, f"{path.name}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: {line!r} is not Key=Value"
        unit.sections[section].append((key.strip(), value.strip()))
    return unit


def parse_env_file(text: str) -> dict[str, str]:
    """An EnvironmentFile= as systemd reads it: KEY=VALUE lines, comments, quotes removed."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), f"not KEY=VALUE: {line!r}"
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def services() -> list[Unit]:
    return [parse_unit(path) for path in sorted(UNITS.glob("*.service"))]


def timers() -> list[Unit]:
    return [parse_unit(path) for path in sorted(UNITS.glob("*.timer"))]


def command_line(line: str, env: dict[str, str]) -> list[str]:
    """An Exec line as systemd runs it here: ``${VAR}`` is one word, the installed binary is
    this environment's ``gardien``."""
    words = shlex.split(line.lstrip("-@:+!"))
    expanded = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word) for word in words]
    assert expanded[0] == INSTALLED, line
    return [GARDIEN, *expanded[1:]]


def unit_environment(unit: Unit, env_file: dict[str, str]) -> dict[str, str]:
    """Environment= defaults, overridden by the environment file (systemd's order)."""
    env: dict[str, str] = {}
    for assignment in unit.values("Service", "Environment"):
        for word in shlex.split(assignment):
            key, _, value = word.partition("=")
            env[key] = value
    return {**env, **env_file}


def test_there_are_the_units_of_every_process() -> None:
    names = {unit.name for unit in services()}
    assert names == {
        "gardien-web.service",
        "gardien-outbox.service",
        "gardien-sweep.service",
        "gardien-audit-verify.service",
        "gardien-backup.service",
    }
    assert {unit.name for unit in timers()} == {
        "gardien-sweep.timer",
        "gardien-audit-verify.timer",
        "gardien-backup.timer",
    }


@pytest.mark.parametrize("unit", services(), ids=lambda unit: unit.name)
def test_every_service_is_hardened_alike(unit: Unit) -> None:
    for key, expected in HARDENING.items():
        assert unit.values("Service", key) == [expected], f"{unit.name}: {key}"
    # No capability, no other writable path, no privileged system call.
    assert "~@privileged @resources" in unit.values("Service", "SystemCallFilter")
    assert unit.value("Service", "RestrictAddressFamilies") == "AF_UNIX AF_INET AF_INET6"
    commands = unit.values("Service", "ExecStartPre") + unit.values("Service", "ExecStart")
    assert commands
    assert all(shlex.split(line)[0] == INSTALLED for line in commands)


@pytest.mark.parametrize("timer", timers(), ids=lambda unit: unit.name)
def test_every_timer_starts_its_service_and_catches_up(timer: Unit) -> None:
    service = UNITS / timer.name.replace(".timer", ".service")
    assert service.exists()
    assert parse_unit(service).value("Service", "Type") == "oneshot"
    assert timer.value("Timer", "OnCalendar")
    assert timer.value("Timer", "Persistent") == "true"
    assert timer.value("Install", "WantedBy") == "timers.target"


def test_the_environment_file_names_every_setting() -> None:
    given = parse_env_file(ENV_EXAMPLE.read_text(encoding="utf-8"))
    expected = {f"GARDIEN_{name.upper()}" for name in Settings.model_fields} - {
        f"GARDIEN_{name.upper()}" for name in NOT_FOR_SERVERS
    }
    assert expected - set(given) == set()
    for name in NOT_FOR_SERVERS:
        assert f"GARDIEN_{name.upper()}" not in given


def filled_in(**overrides: str) -> dict[str, str]:
    """The template with its CHANGE values filled in as an operator would."""
    env = parse_env_file(ENV_EXAMPLE.read_text(encoding="utf-8"))
    env.update(
        GARDIEN_SECRET_KEY=secrets.token_urlsafe(32),
        GARDIEN_PUBLIC_URL="https://formation.example.fr",
        GARDIEN_DATABASE_URL=(
            "postgresql://gardien:motdepasse@postgresql-0a1b2c3d.database.example.fr:20184/gardien"
            "?sslmode=verify-full"
        ),
        GARDIEN_SMTP_HOST="smtp.example.fr",
        GARDIEN_MAIL_FROM="Formation <ne-pas-repondre@formation.example.fr>",
    )
    env.update(overrides)
    assert not [key for key, value in env.items() if "CHANGE" in value]
    return env


def gardien(args: list[str], env: dict[str, str], **options: object) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GARDIEN_")}
    return subprocess.Popen(
        args,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **options,  # type: ignore[call-overload]
    )


def finished(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = gardien(args, env, cwd=cwd)
    output, _ = process.communicate(timeout=300)
    return process.returncode, output


def test_check_config_passes_on_the_template_once_filled_in(tmp_path: Path) -> None:
    # The CA file OVHcloud gives is a PEM certificate; check-config reads that it is one.
    ca = ROOT / "tests" / "support" / "example-database-ca.pem"
    env = filled_in(GARDIEN_DATABASE_CA_FILE=str(ca))
    code, output = finished([GARDIEN, "check-config", "--lang", "en"], env, tmp_path)
    assert code == 0, output
    # Left as shipped, it is refused: the placeholders are not a configuration.
    as_shipped = parse_env_file(ENV_EXAMPLE.read_text(encoding="utf-8"))
    code, output = finished([GARDIEN, "check-config", "--lang", "en"], as_shipped, tmp_path)
    assert code != 0, output


@dataclass
class Deployment:
    """A data folder, an environment file's values and an SMTP server, as on a server."""

    data: Path
    env: dict[str, str]
    smtp: SmtpServer

    def environment(self, unit: Unit) -> dict[str, str]:
        return unit_environment(unit, self.env)

    def run(self, unit: Unit, key: str) -> list[str]:
        """Run each ``key`` line of ``unit`` to its end; each must exit 0; their outputs."""
        outputs = []
        env = self.environment(unit)
        for line in unit.values("Service", key):
            code, output = finished(command_line(line, env), env, self.data)
            assert code == 0, f"{unit.name}: {line}\n{output}"
            outputs.append(output)
        return outputs


def unit_named(name: str) -> Unit:
    return parse_unit(UNITS / name)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    data = tmp_path / "var-lib-gardien"
    data.mkdir(mode=0o700)
    with smtp_server() as smtp:
        env = filled_in(
            GARDIEN_DATABASE_URL=f"sqlite:///{data}/gardien.sqlite3",
            GARDIEN_DATABASE_CA_FILE="",
            GARDIEN_PUBLIC_URL="http://127.0.0.1:8000",
            GARDIEN_SMTP_HOST="127.0.0.1",
            GARDIEN_SMTP_PORT=str(smtp.port),
            GARDIEN_SMTP_STARTTLS="false",
            GARDIEN_WEB_PORT=str(free_port()),
            GARDIEN_BLOB_DIR=str(data / "blobs"),
            GARDIEN_BACKUP_DIR=str(data / "backups"),
            GARDIEN_ERASURE_LEDGER_DIR=str(data / "erasure-ledger"),
        )
        deployed = Deployment(data, env, smtp)
        # What the web server's unit does first on a new server: migrate.
        deployed.run(unit_named("gardien-web.service"), "ExecStartPre")
        yield deployed


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return process.returncode, output


def test_the_web_server_answers_health_and_stops_on_sigterm(deployment: Deployment) -> None:
    unit = unit_named("gardien-web.service")
    env = deployment.environment(unit)
    assert env["GARDIEN_ENVIRONMENT"] == "production"
    (line,) = unit.values("Service", "ExecStart")
    args = command_line(line, env)
    assert args[1:] == ["serve", "--host", "127.0.0.1", "--port", env["GARDIEN_WEB_PORT"],
                        "--workers", env["GARDIEN_WEB_WORKERS"]]  # fmt: skip
    server = gardien(args, env, cwd=deployment.data)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                answer = httpx.get(f"http://127.0.0.1:{env['GARDIEN_WEB_PORT']}/health")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "no answer on /health within 60 s"
                time.sleep(0.2)
        assert answer.status_code == 200
        assert answer.json()["status"] == "ok"
        # Migrated by ExecStartPre: the database answers and its schema is at the head.
        ready = httpx.get(f"http://127.0.0.1:{env['GARDIEN_WEB_PORT']}/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    finally:
        code, output = stop(server)
    assert code == 0, output


def test_the_daily_sweep_runs_to_success(deployment: Deployment) -> None:
    (output,) = deployment.run(unit_named("gardien-sweep.service"), "ExecStart")
    report = json.loads(output[output.index("{") :])
    assert "rules" in report


def test_the_nightly_audit_check_records_what_it_verified(deployment: Deployment) -> None:
    invite_the_dpo(deployment)  # an audited act: the log is no longer empty
    unit = unit_named("gardien-audit-verify.service")
    counts = []
    for _ in range(2):
        (output,) = deployment.run(unit, "ExecStart")
        found = re.search(r"audit chain intact: (\d+) entries checked", output)
        assert found, output
        counts.append(int(found.group(1)))
    # --record appended its own entry, which the next night's check reads too.
    assert counts[0] > 0
    assert counts[1] == counts[0] + 1


def test_the_backup_service_creates_then_prunes(deployment: Deployment) -> None:
    # `gardien backup` is built in another branch of issue 19: this passes once it is merged.
    deployment.run(unit_named("gardien-backup.service"), "ExecStart")
    assert any((deployment.data / "backups").iterdir())


def invite_the_dpo(deployment: Deployment) -> None:
    """Queue an e-mail (and write an audit entry), through the command line."""
    code, output = finished(
        [GARDIEN, "account", "invite", "--role", "dpo", "--email", "dpo@example.org"],
        deployment.env,
        deployment.data,
    )
    assert code == 0, output


def test_the_outbox_sender_delivers_then_stops_on_sigterm(deployment: Deployment) -> None:
    invite_the_dpo(deployment)
    unit = unit_named("gardien-outbox.service")
    env = deployment.environment(unit)
    (line,) = unit.values("Service", "ExecStart")
    sender = gardien(command_line(line, env), env, cwd=deployment.data)
    try:
        deadline = time.monotonic() + 60
        while not deployment.smtp.messages:
            assert sender.poll() is None, sender.communicate()[0]
            assert time.monotonic() < deadline, "nothing delivered within 60 s"
            time.sleep(0.2)
    finally:
        code, output = stop(sender)
    assert code == 0, output
    assert "stopped; in all: 1 sent" in output
    assert [str(m["To"]) for m in deployment.smtp.messages] == ["dpo@example.org"]
