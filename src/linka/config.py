"""The one Settings object. Nothing else in Linka reads the environment."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import available_timezones

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["en", "cs", "hu"]
LANGUAGES: tuple[Language, ...] = ("en", "cs", "hu")
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINKA_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Folder for the SQLite file, secret key and blobs"
    )
    database_url: str = Field(default="", description="SQLAlchemy async URL; default: SQLite in data_dir")
    redis_url: str = Field(default="", description="redis://… for fan-out and rate limits across processes")
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL used in links and mails")
    secret_key: SecretStr = Field(default=SecretStr(""), description="Signs sessions and links")
    default_language: Language = "en"
    default_timezone: str = "Europe/Prague"
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_host: str = Field(default="", description="Address the SMTP listener binds; default: LINKA_HOST")
    smtp_port: int = Field(
        default=2525, ge=0, le=65535, description="Port of the SMTP listener `linka serve` starts"
    )
    smtp_hostname: str = Field(
        default="", description="Name the SMTP listener greets with; default: the machine's"
    )
    smtp_max_bytes: int = Field(
        default=40 * 1024 * 1024,
        ge=1024,
        le=2**31 - 1,
        description="Largest email the SMTP listener and the pipe accept, in bytes (552 above it)",
    )
    session_max_age: int = Field(default=14 * 24 * 3600, description="Seconds a login lasts")
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; default: on when base_url is https"
    )
    password_reset_max_age: int = 2 * 3600
    invitation_max_age: int = 7 * 24 * 3600
    login_attempts_per_account: str = Field(default="10/15 minutes", description="Failed logins per account")
    login_attempts_per_ip: str = Field(
        default="30/5 minutes", description="Login attempts per client address"
    )
    blob_dir: Path | None = Field(
        default=None, description="Folder for attachment files; default: data_dir/blobs"
    )
    # At most 2 GiB - 1: attachment sizes are 32-bit integers in the database.
    attachment_max_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, le=2**31 - 1, description="Largest attachment accepted, in bytes"
    )
    close_resolved_after_days: int = Field(
        default=7, ge=0, description="Days after which resolved tickets close (0: never)"
    )
    worker_poll_seconds: float = Field(
        default=30.0, gt=0, description="How often the background worker looks for due work"
    )
    db_pool_size: int = 10
    db_echo: bool = False

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown time zone {value!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.split(":///", 1)[1]
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'linka.db').resolve()}"

    @property
    def effective_blob_dir(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def secret(self) -> str:
        """The secret key: given, or generated once and kept in data_dir (never a built-in default)."""
        given = self.secret_key.get_secret_value()
        if given:
            return given
        path = self.data_dir / SECRET_KEY_FILE
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key

    def problems(self) -> list[str]:
        """What is wrong with this configuration, in words an operator can act on."""
        found: list[str] = []
        url = self.effective_database_url
        if not (url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://"))):
            found.append("LINKA_DATABASE_URL must be sqlite+aiosqlite:///… or postgresql+asyncpg://…")
        if not self.base_url.startswith(("http://", "https://")):
            found.append("LINKA_BASE_URL must start with http:// or https://")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            found.append("LINKA_REDIS_URL must start with redis://, rediss:// or unix://")
        if self.base_url.startswith("https://") and self.cookie_secure is False:
            found.append("LINKA_COOKIE_SECURE is off while LINKA_BASE_URL is https")
        given = self.secret_key.get_secret_value()
        if given and len(given) < 32:
            found.append("LINKA_SECRET_KEY is shorter than 32 characters")
        return found

    def masked(self) -> dict[str, str]:
        """The effective configuration for display, secrets masked."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "secret_key":
                value = "(given, masked)" if value.get_secret_value() else "(generated, kept in data_dir)"
            elif name in {"database_url", "redis_url"} and value:
                value = _mask_url_password(str(value))
            shown[f"LINKA_{name.upper()}"] = str(value)
        shown["(effective database)"] = _mask_url_password(self.effective_database_url)
        return shown


def _mask_url_password(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    if ":" in credentials:
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
