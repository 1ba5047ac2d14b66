"""Request and response bodies of the outbound pipeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MessageChannel = Literal["sms", "email"]
# A message may also be a printed letter (its template is the letter's kind).
QueueChannel = Literal["sms", "email", "letter"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageIn(_Body):
    """A collector's message on a case. The server picks the address, the language (the
    debtor's), the time and the sender; the caller names only what to say."""

    channel: QueueChannel | None = Field(
        default=None, description="default: the debtor's preferred channel, else sms"
    )
    template: str = Field(
        min_length=1,
        max_length=64,
        description="the template; for a letter its kind (cn-card, us-reg-f, uk-conc)",
    )
    note: str | None = Field(
        default=None, max_length=1000, description="the collector's words (collector_note)"
    )


class MessageOut(BaseModel):
    id: int
    work_order_id: int | None
    cardholder_id: int
    kind: str
    channel: str
    sent_to: str
    template: str
    locale: str
    subject: str | None
    body: str
    status: str
    held_rule: str | None
    next_allowed_at: datetime | None
    reason: str | None
    state: str | None = Field(
        default=None, description="the state and its reason in the reader's language"
    )
    send_on: date
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    provider_ref: str | None
    queued_by: str | None
    compliance: dict[str, Any]


class ChannelIn(_Body):
    """A debtor's address on a channel and whether he prefers it."""

    channel: MessageChannel
    address: str | None = Field(default=None, max_length=255)
    preferred: bool | None = None


class OptOutIn(_Body):
    channel: MessageChannel


class DebtorChannelOut(BaseModel):
    channel: str
    address: str | None
    preferred: bool
    opted_out_at: datetime | None
    opted_out_via: str | None


class ReceiptIn(_Body):
    """A transport's delivery receipt: the receipt's own id (a replay is a no-op), the message
    (its dedupe key, which the gateway got as ``id``), and what happened."""

    receipt_id: str = Field(min_length=1, max_length=128)
    message: str = Field(min_length=1, max_length=160)
    status: Literal["delivered", "bounced", "failed", "reply"]
    detail: str | None = Field(default=None, max_length=2000)
    text: str | None = Field(default=None, max_length=1000, description="a reply's text")


class ReceiptOut(BaseModel):
    message_id: int
    status: str
    applied: bool


class RelayOut(BaseModel):
    sent: int
    held: int
    expired: int
    retrying: int
    failed: int
    recovered: int
    refused: int
