"""What the portal tells the customer about his actions: each refusal and each outcome is one
English sentence, the zh-CN catalog's msgid (``src/arrears/web/locale``), with {named} fields
filled after translation. Kept in one place so a test checks every one is translated; the
services' own messages are for collectors and never reach the customer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from arrears.kit.errors import ArrearsError, BadInput, Conflict, NotFound, RuleRefused

# --- refusals ------------------------------------------------------------------------------------

NO_CASE = "We could not find this account."
CASE_CLOSED = "This account is closed: there is nothing to arrange on it."
NOTHING_OWED = "You owe nothing on this account today."
AMOUNT_NOT_NUMBER = "Enter the amount as a number, for example 500.00."
AMOUNT_NOT_POSITIVE = "The amount must be more than zero."
AMOUNT_DECIMALS = "The amount can have at most two decimals."
AMOUNT_ABOVE_OWED = "The amount is more than you owe today ({owed})."
DATE_NOT_DATE = "Choose a date."
DATE_PAST = "The date cannot be in the past."
DATE_TOO_FAR = "Choose a date no later than {last}."
LIVE_ARRANGEMENT = (
    "You already have a promise or a plan on this account. To change it, please call us."
)
PLAN_NOT_OFFERED = "This plan is not offered for your account. Choose one from the list."
SETTLEMENT_NOT_OFFERED = "No settlement offer is available for your account."
SETTLEMENT_CHANGED = (
    "The settlement amount has changed to {amount}. Please look at the offer again."
)
DISPUTE_TEXT = "Tell us in a few words what is wrong (at most {max} characters)."
ALREADY_DISPUTED = "You have already raised a dispute on this account. We are checking it."
HARDSHIP_REASON = "Choose a reason from the list."
TEXT_TOO_LONG = "Please write at most {max} characters."
WINDOW_NOT_TIME = "Choose a day and a time window."
WINDOW_ORDER = "The window must end after it starts."
WINDOW_TOO_LONG = "The window can be at most 12 hours long."
WINDOW_PAST = "This time has already passed. Choose a later window."
WINDOW_TOO_FAR = "Choose a window that ends no later than {last}."
WINDOW_HOURS = "We can call you only between {start} and {end}."
CHANNEL_UNKNOWN = "Choose a channel from the list."
PREFER_OPTED_OUT = "You have opted out of this channel. Choose another one."
NOT_OPTED_OUT = "You have not stopped {channel}: there is nothing to change."
WINDOW_NOT_FOUND = "We could not find this call-back time."
WINDOW_WITHDRAWN = "You have already withdrawn this call-back time."
WINDOW_ENDED = "This call-back time has already passed."
CHANGED_MEANWHILE = (
    "Your account was changed while you were filling in the form. Please look at it again."
)
NOT_NOW = "We could not do this right now. Please try again later or call us."

PROMISE_DONE = "Thank you. We have noted your promise to pay {amount} by {date}."
PLAN_ACTIVE = "Your plan is active: {count} payments of about {amount}, the first on {date}."
PLAN_WAITING = (
    "Your plan has been sent to the bank for approval. We will tell you when it is decided."
)
SETTLEMENT_ACTIVE = "Your settlement is agreed: pay {amount} by {date}."
SETTLEMENT_WAITING = (
    "Your acceptance of the settlement has been sent to the bank for approval. We will tell "
    "you when it is decided."
)
DISPUTE_DONE = (
    "We have received your dispute. We will check it and answer you, and we will not ask you "
    "to pay this account until then."
)
HARDSHIP_DONE = "Thank you for telling us. A collector will look at your situation."
CALL_BACK_DONE = "We will call you on {date} between {start} and {end}."
PREFERENCE_DONE = "We will contact you by {channel} when we can."
OPT_OUT_DONE = "You will no longer receive {channel} from us."
OPT_IN_DONE = "You can receive {channel} from us again."
WITHDRAW_DONE = "We will not call you on {date} between {start} and {end}."

# Channel names as the sentences above use them (msgids too).
CHANNEL_NAMES = {
    "sms": "text messages",
    "email": "e-mails",
    "call": "phone calls",
    "letter": "letters",
}
_NAMED_PARAMS = ("channel",)


def say(msgid: str, params: dict[str, str], translate: Callable[[str], str]) -> str:
    named = {k: translate(v) if k in _NAMED_PARAMS else v for k, v in params.items()}
    return translate(msgid).format(**named)


class Refusal(ArrearsError):
    """A refusal said to the customer: ``msgid`` (English, the catalog's key) with ``params``."""

    def __init__(self, msgid: str, **params: str) -> None:
        named = {k: CHANNEL_NAMES.get(v, v) if k in _NAMED_PARAMS else v for k, v in params.items()}
        super().__init__(msgid.format(**named), detail={"msgid": msgid, "params": named})
        self.msgid = msgid
        self.params = named

    def text(self, translate: Callable[[str], str]) -> str:
        return say(self.msgid, self.params, translate)


class InputRefused(Refusal, BadInput):
    """The form is wrong (422)."""


class PolicyRefused(Refusal, RuleRefused):
    """The form is fine but the bank's rules refuse it (409)."""


class CaseNotFound(Refusal, NotFound):
    """Not a case of this customer: unknown and someone else's read the same (404)."""


class ChangedMeanwhile(Refusal, Conflict):
    """Someone changed the case since the customer read it (409)."""


def said(exc: ArrearsError, translate: Callable[[str], str]) -> str:
    """What to tell the customer about ``exc``: its own sentence, or that we could not do it
    now (a service's English message is for collectors, not for him)."""
    if isinstance(exc, Refusal):
        return exc.text(translate)
    return translate(NOT_NOW)


@dataclass(frozen=True)
class Done:
    """An action done: what it was, what to tell the customer, the record it made."""

    action: str
    msgid: str
    params: dict[str, str] = field(default_factory=dict)
    record_id: int | None = None
    # A plan or settlement waiting for the bank's checker (maker-checker).
    waiting: bool = False

    def text(self, translate: Callable[[str], str]) -> str:
        return say(self.msgid, self.params, translate)
