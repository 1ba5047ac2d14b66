"""Settings: one instance, read from the environment with the prefix ``ARREARS_``."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from arrears.vocabulary import Locale

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.5, 192.168.0.0/16"`` -> networks; a bad entry raises ``ValueError``."""
    networks = []
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"not an IP address or CIDR: {entry!r}") from exc
    return tuple(networks)


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
    # Outbound channels (docs/channels.md).
    smtp_host: str = Field(default="localhost", description="SMTP server e-mails are handed to.")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = Field(default="", description="SMTP login; empty: no AUTH.")
    smtp_password: str = ""
    smtp_from: str = Field(
        default="collections@bank.example", description="The From address of every e-mail."
    )
    smtp_starttls: bool = Field(default=False, description="Upgrade with STARTTLS after EHLO.")
    smtp_ssl: bool = Field(default=False, description="Connect with TLS from the start (465).")
    smtp_timeout: float = Field(default=10.0, gt=0)
    smtp_unsubscribe_mailbox: str = Field(
        default="",
        description="Mailbox named in List-Unsubscribe (mailto:); empty: the link only.",
    )
    sms_transport: Literal["spool", "gateway"] = Field(
        default="spool", description="Where SMS go: the spool folder or the HTTP gateway."
    )
    sms_gateway_url: str = Field(default="", description="The HTTP SMS gateway's send URL.")
    sms_gateway_secret: str = Field(
        default="",
        description="Shared secret: signs each POST to the gateway (HMAC-SHA256) and checks "
        "the signature of its delivery receipts.",
    )
    sms_gateway_timeout: float = Field(default=10.0, gt=0)
    # Online payments (docs/payments.md).
    payments_provider: Literal["off", "sandbox", "generic"] = Field(
        default="off",
        description="Who takes online payments: nobody (off), the built-in sandbox checkout "
        "(demo and tests; no money moves), or a generic provider that signs its webhooks "
        "with HMAC-SHA256.",
    )
    payments_base_url: str = Field(
        default="", description="The generic provider's API base URL (intents are POSTed there)."
    )
    payments_secret: str = Field(
        default="",
        description="Shared secret with the provider: signs our requests and checks its "
        "webhooks (HMAC-SHA256 over timestamp + body). Sandbox: empty derives one from "
        "ARREARS_SECRET_KEY.",
    )
    payments_signature_header: str = Field(
        default="X-Payments-Signature", description="The webhook header carrying the signature."
    )
    payments_timestamp_header: str = Field(
        default="X-Payments-Timestamp",
        description="The webhook header carrying the signing time (Unix seconds).",
    )
    payments_tolerance_seconds: int = Field(
        default=300,
        ge=1,
        le=86_400,
        description="A webhook signed longer ago (or further ahead) than this is refused: "
        "a captured request cannot be replayed later.",
    )
    payments_timeout: float = Field(default=10.0, gt=0)
    payments_intent_minutes: int = Field(
        default=30,
        ge=1,
        le=7 * 24 * 60,
        description="How long a started payment holds part of what is owed before it expires.",
    )
    public_url: str = Field(
        default="http://localhost:8000",
        description="Where customers reach this server (opt-out links, receipt callbacks).",
    )
    link_secret: str = Field(
        default="",
        description="Signs the opt-out links in e-mails; empty: no link, the mailbox only.",
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure (the app sits behind a TLS proxy)."
    )
    cycle_heartbeat_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often a running cycle writes its heartbeat (besides at each stage).",
    )
    cycle_stale_after_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A running cycle whose heartbeat is older than this died with its process: "
        "the next start marks it failed.",
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
    portal_policy: str = Field(
        default="default",
        description="Customer portal policy (link lifetimes, verification, throttling).",
    )

    @model_validator(mode="after")
    def _stale_outlasts_heartbeats(self) -> Settings:
        # A live run that misses a beat or two (a busy store) must not be taken for dead.
        if self.cycle_stale_after_seconds < 3 * self.cycle_heartbeat_seconds:
            raise ValueError(
                "cycle_stale_after_seconds must be at least three heartbeats "
                f"(3 x {self.cycle_heartbeat_seconds:g} s)"
            )
        return self

    @model_validator(mode="after")
    def _gateway_configured(self) -> Settings:
        # A relay that finds out at 10:00 that the gateway has no address sends nothing all day.
        if self.sms_transport == "gateway" and not (
            self.sms_gateway_url and self.sms_gateway_secret
        ):
            raise ValueError(
                "sms_transport=gateway needs ARREARS_SMS_GATEWAY_URL and ARREARS_SMS_GATEWAY_SECRET"
            )
        return self

    @model_validator(mode="after")
    def _payments_configured(self) -> Settings:
        # A portal that offers "Pay" and then cannot reach anyone would take no money all day.
        if self.payments_provider == "generic" and not (
            self.payments_base_url and self.payments_secret
        ):
            raise ValueError(
                "payments_provider=generic needs ARREARS_PAYMENTS_BASE_URL and "
                "ARREARS_PAYMENTS_SECRET"
            )
        return self

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
