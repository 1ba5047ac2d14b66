"""Settings: one instance, read from the environment with the prefix ``ARREARS_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from arrears.kit.addresses import Network, parse_networks
from arrears.vocabulary import Locale


class Settings(BaseSettings):
    """Everything a deployment may set. Business rules live in YAML profiles, not here."""

    model_config = SettingsConfigDict(env_prefix="ARREARS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/arrears.db",
        description="Operational store: SQLite file (default) or postgresql+psycopg://...",
    )
    warehouse: Path = Field(
        default=Path("./var/warehouse.duckdb"),
        description="DuckDB file holding the columnar half (snapshots, decisions).",
    )
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    time_zone: str = "Asia/Shanghai"
    locale: Locale = "zh-CN"
    jurisdiction: str = Field(default="cn-card", description="Compliance profile name or path.")
    fee_schedule: str = Field(default="cn-card", description="Fee profile name or path.")
    strategy: str = Field(default="default", description="Strategy file name or path.")
    spark_master: str = "local[2]"
    duckdb_memory_limit: str = Field(
        default="5GB",
        description="Memory the daily cycle's DuckDB may use before spilling to disk.",
    )
    secret_key: str = Field(default="", description="Signs session cookies; generated if empty.")
    outbox_spool: Path = Field(
        default=Path("./var/outbox"),
        description="Folder the SMS gateway collects sent messages from (one JSON line each).",
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure (the app sits behind a TLS proxy)."
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated IPs or CIDRs of the reverse proxies whose X-Forwarded-For is "
            "believed; empty (the default): the header is ignored and the peer is the client."
        ),
    )
    security_policy: str = Field(
        default="default",
        description="Security policy (throttling, session and token lifetimes): name or path.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value)  # a typo must fail at start-up, not silently trust nobody
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()``)."""
    return Settings()
