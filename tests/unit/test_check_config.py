"""``gardien check-config``: each requirement of production, met or not, and never a secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gardien.cli.main import main

SECRET = "OoL1IFVgkvtt8qLtB3hAb5anqWPGh_dS0kzKSSJGEgM"  # secrets.token_urlsafe(32)
API_TOKEN = "b8a1f1c0e7d24f4bb5a3c2d19e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"  # token_hex(32)
DB_PASSWORD = "db-password-never-shown"
# A CA certificate for no server (its key was thrown away): what an operator downloads from
# the managed database's control panel.
CA_FILE = str(Path(__file__).parents[1] / "support" / "example-database-ca.pem")
SMTP_PASSWORD = "smtp-password-never-shown"
READY: dict[str, str | None] = {
    "GARDIEN_ENVIRONMENT": "production",
    "GARDIEN_SECRET_KEY": SECRET,
    "GARDIEN_DATABASE_URL": (
        f"postgresql://gardien:{DB_PASSWORD}@db.example.org:5432/gardien?sslmode=verify-full"
    ),
    "GARDIEN_DATABASE_CA_FILE": CA_FILE,
    "GARDIEN_PUBLIC_URL": "https://formation.example.fr",
    "GARDIEN_SMTP_HOST": "smtp.example.fr",
    "GARDIEN_SMTP_PORT": "587",
    "GARDIEN_SMTP_STARTTLS": "true",
    "GARDIEN_SMTP_USERNAME": "gardien",
    "GARDIEN_SMTP_PASSWORD": SMTP_PASSWORD,
    "GARDIEN_MAIL_FROM": "Formation <ne-pas-repondre@formation.example.fr>",
    "GARDIEN_API_TOKEN": API_TOKEN,
}
NEVER_SHOWN = [SECRET, API_TOKEN, DB_PASSWORD, SMTP_PASSWORD]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("GARDIEN_") and not name.upper().startswith("GARDIEN_TEST_"):
            monkeypatch.delenv(name)


def _run(
    env: dict[str, str | None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, dict[str, tuple[str, str]], str]:
    """Exit code, {variable: (status, detail)} and the whole output of check-config."""
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    code = main([*args, "check-config", "--lang", "en"])
    out = capsys.readouterr().out
    rows = {}
    for line in out.splitlines()[1:-1]:
        status, rest = line[2:9].strip(), line[9:]
        variable, _, detail = rest.strip().partition(" ")
        rows[variable] = (status, detail.strip())
    return code, rows, out


def test_a_production_configuration_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, out = _run(READY, monkeypatch, capsys)
    assert code == 0
    assert out.splitlines()[-1] == "Ready for production: every requirement is met."
    assert {status for status, _ in rows.values()} <= {"ok", "note"}
    assert rows["GARDIEN_SECRET_KEY"] == ("ok", "set, strong enough (32 random bytes or more)")
    assert rows["GARDIEN_DATABASE_URL"][1].startswith("PostgreSQL over TLS")
    assert rows["GARDIEN_SMTP_HOST"] == ("ok", "smtp.example.fr:587, encrypted (TLS)")
    assert rows["GARDIEN_API_TOKEN"][0] == "ok"
    for secret in NEVER_SHOWN:
        assert secret not in out


@pytest.mark.parametrize(
    ("change", "variable", "says"),
    [
        ({"GARDIEN_ENVIRONMENT": None}, "GARDIEN_ENVIRONMENT", "development, not production"),
        ({"GARDIEN_ENVIRONMENT": "test"}, "GARDIEN_ENVIRONMENT", "test, not production"),
        ({"GARDIEN_SECRET_KEY": ""}, "GARDIEN_SECRET_KEY", "empty; generate one with python3"),
        ({"GARDIEN_SECRET_KEY": "x" * 80}, "GARDIEN_SECRET_KEY", "not random enough"),
        (
            {"GARDIEN_PREVIOUS_SECRET_KEYS": f"an-old-one,{SECRET}"},
            "GARDIEN_PREVIOUS_SECRET_KEYS",
            "holds the current GARDIEN_SECRET_KEY",
        ),
        (
            {
                "GARDIEN_DATABASE_URL": f"postgresql://g:{DB_PASSWORD}@db.example.org/g",
                "GARDIEN_DATABASE_CA_FILE": None,
            },
            "GARDIEN_DATABASE_URL",
            "PostgreSQL over the network without sslmode=verify-full: the connection can be"
            " read or diverted; and set GARDIEN_DATABASE_CA_FILE",
        ),
        (
            {"GARDIEN_DATABASE_URL": "postgresql://db.example.org/g?sslmode=require"},
            "GARDIEN_DATABASE_URL",
            "without sslmode=verify-full",
        ),
        (
            {"GARDIEN_DATABASE_CA_FILE": None},
            "GARDIEN_DATABASE_CA_FILE",
            "not set: sslmode=verify-full needs the CA certificate of the database service",
        ),
        (
            {"GARDIEN_DATABASE_CA_FILE": "/nowhere/ca.pem"},
            "GARDIEN_DATABASE_CA_FILE",
            "/nowhere/ca.pem: no such file",
        ),
        (
            {"GARDIEN_DATABASE_CA_FILE": __file__},
            "GARDIEN_DATABASE_CA_FILE",
            "holds no PEM certificate",
        ),
        (
            {
                "GARDIEN_DATABASE_URL": (
                    "postgresql://db.example.org/g?sslmode=verify-full&sslrootcert=/etc/other.pem"
                )
            },
            "GARDIEN_DATABASE_CA_FILE",
            "the database URL's sslrootcert names another file",
        ),
        ({"GARDIEN_DATABASE_URL": "sqlite://"}, "GARDIEN_DATABASE_URL", "SQLite in memory"),
        (
            {"GARDIEN_DATABASE_URL": "sqlite:///var/gardien.sqlite3"},
            "GARDIEN_DATABASE_URL",
            "a SQLite file relative to the working directory",
        ),
        ({"GARDIEN_DATABASE_URL": "mysql://db/g"}, "GARDIEN_DATABASE_URL", "neither"),
        (
            {"GARDIEN_PUBLIC_URL": "http://formation.example.fr"},
            "GARDIEN_PUBLIC_URL",
            "not https",
        ),
        (
            {"GARDIEN_SMTP_STARTTLS": "false"},
            "GARDIEN_SMTP_HOST",
            "smtp.example.fr:587 without TLS",
        ),
        (
            {"GARDIEN_MAIL_FROM": "ne-pas-repondre@example.org"},
            "GARDIEN_MAIL_FROM",
            "a domain reserved for examples",
        ),
        ({"GARDIEN_API_TOKEN": "let-me-in"}, "GARDIEN_API_TOKEN", "shorter than 32 random"),
        ({"GARDIEN_NOW": "2026-01-15"}, "GARDIEN_NOW", "set: the server would live on a fixed"),
        ({"GARDIEN_POLICY": "/nowhere/policy.yaml"}, "GARDIEN_POLICY", "no such file"),
    ],
)
def test_each_missing_requirement_is_named_and_exits_1(
    change: dict[str, str | None],
    variable: str,
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, rows, out = _run({**READY, **change}, monkeypatch, capsys)
    assert code == 1
    assert rows[variable][0] == "to do"
    assert says in rows[variable][1]
    assert [name for name, (status, _) in rows.items() if status == "to do"] == [variable]
    assert out.splitlines()[-1] == "Not ready for production: 1 requirement is not met."
    for secret in NEVER_SHOWN:
        assert secret not in out


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql:///gardien", "PostgreSQL over a Unix socket"),
        ("postgresql:///gardien?host=/run/postgresql", "PostgreSQL over a Unix socket"),
        (
            f"postgresql+psycopg://g:{DB_PASSWORD}@127.0.0.1/g",
            "PostgreSQL on this machine (loopback)",
        ),
        ("sqlite:////srv/gardien/gardien.sqlite3", "a SQLite file (one writer at a time)"),
    ],
)
def test_databases_that_need_no_tls(
    url: str, says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = _run({**READY, "GARDIEN_DATABASE_URL": url}, monkeypatch, capsys)
    assert (code, rows["GARDIEN_DATABASE_URL"]) == (0, ("ok", says))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        # The CA file setting alone: the engine asks for verify-full (store/engine.py).
        ({"GARDIEN_DATABASE_URL": f"postgresql://g:{DB_PASSWORD}@db.example.org/g"}, CA_FILE),
        # The URL's own sslmode and sslrootcert, as libpq reads them.
        (
            {
                "GARDIEN_DATABASE_URL": (
                    f"postgresql://db.example.org/g?sslmode=verify-full&sslrootcert={CA_FILE}"
                ),
                "GARDIEN_DATABASE_CA_FILE": None,
            },
            CA_FILE,
        ),
    ],
)
def test_verify_full_and_a_ca_file_are_what_the_network_needs(
    change: dict[str, str | None],
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, rows, out = _run({**READY, **change}, monkeypatch, capsys)
    assert code == 0, out
    assert rows["GARDIEN_DATABASE_URL"] == (
        "ok",
        "PostgreSQL over TLS, the server's certificate and name verified (verify-full)"
        f" against {says}",
    )
    assert DB_PASSWORD not in out


def test_the_web_servers_pool_and_statement_timeout_are_noted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    change = {"GARDIEN_DATABASE_POOL_SIZE": "8", "GARDIEN_DATABASE_MAX_OVERFLOW": "2"}
    code, rows, _ = _run({**READY, **change}, monkeypatch, capsys)
    assert code == 0
    status, detail = rows["GARDIEN_DATABASE_POOL_SIZE"]
    assert status == "note"
    assert detail.startswith("up to 10 connections per web worker (8 kept, 2 more under load)")
    assert rows["GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS"] == (
        "note",
        "a web request's database statements are stopped after 30 s",
    )
    change = {"GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS": "0"}
    code, rows, _ = _run({**READY, **change}, monkeypatch, capsys)
    assert code == 0
    assert rows["GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS"][1].startswith("0: no limit")


def test_the_global_options_are_judged_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = _run(
        READY, monkeypatch, capsys, "--database-url", "sqlite://", "--policy", str(tmp_path)
    )
    assert code == 1
    assert rows["GARDIEN_DATABASE_URL"] == ("to do", "SQLite in memory: nothing is kept")
    assert rows["GARDIEN_POLICY"] == ("to do", f"{tmp_path}: no such file")


def test_a_forgotten_environment_is_the_first_thing_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, out = _run({}, monkeypatch, capsys)
    assert code == 1
    assert out.splitlines()[1].split()[:3] == ["to", "do", "GARDIEN_ENVIRONMENT"]
    assert rows["GARDIEN_SECRET_KEY"][1].startswith("not set;")
    assert rows["GARDIEN_SMTP_HOST"] == ("to do", "not set: e-mails go to the development sink")


def test_the_report_is_french_by_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(READY, monkeypatch, capsys)
    monkeypatch.setenv("GARDIEN_PUBLIC_URL", "http://formation.example.fr")
    assert main(["check-config"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Ce dont la production a besoin (les secrets sont jugés, jamais affichés) :"
    (public,) = [line for line in lines if "GARDIEN_PUBLIC_URL" in line]
    assert "à faire  GARDIEN_PUBLIC_URL" in public
    assert public.endswith("pas en https : liens et cookies circuleraient en clair")
    assert lines[-1] == "Pas prêt pour la production : 1 exigence n'est pas remplie."


def test_settings_that_cannot_work_exit_2_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GARDIEN_SMTP_PORT", "not-a-port")
    assert main(["check-config"]) == 2
    assert capsys.readouterr().err.startswith("gardien: GARDIEN_SMTP_PORT: ")
    monkeypatch.setenv("GARDIEN_SMTP_PORT", "465")
    monkeypatch.setenv("GARDIEN_SMTP_SSL", "true")
    monkeypatch.setenv("GARDIEN_SMTP_STARTTLS", "true")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exclude each other" in err


def test_an_unparsable_database_url_is_refused_without_showing_its_password() -> None:
    from gardien.errors import ConfigurationError
    from gardien.store.engine import make_engine

    with pytest.raises(ConfigurationError) as refused:
        make_engine("postgresql://gardien:s3cret-Pa55@db.example.org:notaport/gardien")
    assert "s3cret-Pa55" not in str(refused.value)
    assert "postgresql" in str(refused.value)


def test_the_retired_unknown_actors_setting_is_noted_not_required(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = _run(READY, monkeypatch, capsys)
    assert code == 0 and "GARDIEN_XAPI_UNKNOWN_ACTORS" not in rows
    code, rows, _ = _run({**READY, "GARDIEN_XAPI_UNKNOWN_ACTORS": "park"}, monkeypatch, capsys)
    assert code == 0  # a note: production is still ready
    status, detail = rows["GARDIEN_XAPI_UNKNOWN_ACTORS"]
    assert status == "note" and detail.startswith("no longer used, remove it")
    main(["check-config", "--lang", "fr"])
    assert "n'est plus utilisée, retirez-la" in capsys.readouterr().out
