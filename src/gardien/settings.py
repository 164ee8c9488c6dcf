"""One settings object, read from the environment (prefix ``GARDIEN_``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gardien.errors import ConfigurationError

DEFAULT_SECRET = "development-only-secret-change-me"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything configurable; secrets are ``SecretStr`` so they never show in a traceback."""

    model_config = SettingsConfigDict(env_prefix="GARDIEN_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///var/gardien.sqlite3"
    policy: Path | None = None
    now: str | None = None
    # Stored xAPI statements name learners as accounts on this home page (pseudonymisation).
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)

    @field_validator("policy", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if value in ("", None) else value

    def check(self) -> Settings:
        """Refuse settings that cannot be used safely; return self for chaining."""
        if (
            self.environment is Environment.PRODUCTION
            and self.secret_key.get_secret_value() == DEFAULT_SECRET
        ):
            raise ConfigurationError(
                "GARDIEN_SECRET_KEY must be set to a secret of your own in production"
            )
        return self
