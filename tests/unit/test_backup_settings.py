"""The settings of backups and of the erasure ledger: where they go by default, and what is
refused before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from gardien.errors import ConfigurationError
from gardien.settings import Settings

KEY = "Vq3xZ9kLm2Np7Rt5Wy8Bc4Df6Gh1Jk0Qs-_AaEeIiOoUu"


def test_both_go_beside_the_sqlite_file_by_default() -> None:
    settings = Settings(database_url="sqlite:////srv/gardien/data/gardien.sqlite3")
    assert settings.backup_directory == Path("/srv/gardien/data/backups")
    assert settings.erasure_ledger_directory == Path("/srv/gardien/data/erasure-ledger")
    assert settings.sqlite_path == Path("/srv/gardien/data/gardien.sqlite3")
    postgres = Settings(database_url="postgresql://gardien@db.example.org/gardien")
    assert postgres.sqlite_path is None
    assert postgres.erasure_ledger_directory == Path("var/erasure-ledger")


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"offsite_s3_endpoint": "https://s3.gra.io.cloud.ovh.net"}, "name the bucket"),
        (
            {"erasure_ledger_s3_bucket": "ledger", "offsite_s3_access_key": "AK"},
            "go together",
        ),
        ({"backup_key": SecretStr("short")}, "GARDIEN_BACKUP_KEY is shorter"),
        ({"backup_s3_prefix": "backups"}, "GARDIEN_BACKUP_S3_PREFIX must end with /"),
        ({"erasure_ledger_s3_prefix": "/ledger/"}, "must end with / and not start with one"),
    ],
)
def test_what_cannot_work_is_refused(values: dict[str, object], said: str) -> None:
    with pytest.raises(ConfigurationError, match=said):
        Settings(**values).check_consistency()  # type: ignore[arg-type]


def test_a_generated_backup_key_is_accepted() -> None:
    settings = Settings(backup_key=SecretStr(KEY), backup_s3_bucket="backups")
    assert settings.check_consistency() is settings
