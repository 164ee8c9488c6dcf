"""The benchmarks' shared conventions (``bench/_common.py``): schema checks, ``--smoke``, URLs."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from gardien.store.tables import account, learner

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_common() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load its helper module by path.
    spec = importlib.util.spec_from_file_location("bench_common", BENCH / "_common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_common", module)
    spec.loader.exec_module(module)
    return module


common = _load_common()


def test_a_column_the_schema_moved_away_stops_the_benchmark() -> None:
    # Migration 0006 moved the password hash from learner to account: what broke the sweep
    # benchmark silently now fails before anything is written, naming the column.
    written = ("id", "pseudonym", "email", "given_name", "family_name", "password_hash")
    with pytest.raises(common.SchemaDrift, match="password_hash") as caught:
        common.insert_sql(learner, written)
    # The required columns left out are named too.
    assert "created_at" in str(caught.value)
    assert "last_activity_at" in str(caught.value)


def test_the_generated_rows_name_every_required_column() -> None:
    sql = common.insert_sql(account, common.ACCOUNT_COLUMNS)
    assert sql.startswith("INSERT INTO account (id, email, role, learner_id, password_hash")
    assert sql.count("?") == len(common.ACCOUNT_COLUMNS)
    assert common.checked_columns(learner, common.LEARNER_COLUMNS) == common.LEARNER_COLUMNS
    postgres = common.insert_sql(
        learner, ("pseudonym", *common.LEARNER_COLUMNS[2:]), dialect="postgresql"
    )
    assert postgres.endswith("VALUES (%s, %s, %s, %s, %s, %s, %s)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    return parser


def test_smoke_sets_the_sizes_and_explicit_arguments_still_win(
    capsys: pytest.CaptureFixture[str],
) -> None:
    smoke = {"learners": 200}
    assert common.parse_args(_parser(), [], smoke=smoke).learners == 100_000
    assert common.parse_args(_parser(), ["--smoke"], smoke=smoke).learners == 200
    options = common.parse_args(_parser(), ["--smoke", "--learners", "50"], smoke=smoke)
    assert (options.learners, options.seed, options.smoke) == (50, 1, True)
    assert "smoke run (--learners 200)" in capsys.readouterr().out


def test_an_empty_bench_url_skips_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    test_url = "postgresql://tester@127.0.0.1/postgres"
    monkeypatch.setenv(common.TEST_POSTGRES_ENV, test_url)
    monkeypatch.setenv(common.POSTGRES_ENV, "")
    assert common.postgres_admin_url() is None
    monkeypatch.delenv(common.POSTGRES_ENV)
    assert common.postgres_admin_url() == test_url
    monkeypatch.delenv(common.TEST_POSTGRES_ENV)
    assert common.postgres_admin_url() == common.DEFAULT_POSTGRES_URL
