"""The collector's words, defined once: buckets, levels, treatments, channels, case statuses,
grades and locales. Models, strategy, compliance schemas, allocation and the workbench import
them from here; a word added here is known everywhere at once.

Pure: no imports beyond the standard library.
"""

from __future__ import annotations

from typing import Literal, get_args

# Languages the workbench, the scripts and the breakdown explanations are written in.
Locale = Literal["en", "zh-CN"]
LOCALES: tuple[Locale, ...] = get_args(Locale)

# M0 is current; M1 is 1-30 days past due ... M7+ is over 180 days (the usual charge-off point).
BUCKETS: tuple[str, ...] = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")

# Collection levels the strategy gives a case. The first four are worked by people cleared for
# them (STAFF_LEVELS); outsource and write-off review are decisions about the case itself.
Level = Literal["junior", "intermediate", "advanced", "legal", "outsource", "write_off_review"]
LEVELS: tuple[Level, ...] = get_args(Level)
STAFF_LEVELS: tuple[Level, ...] = ("junior", "intermediate", "advanced", "legal")

Treatment = Literal[
    "sms_reminder",
    "call",
    "letter",
    "contact_person_enquiry",
    "field_visit",
    "legal_notice",
    "agency_placement",
]

# How a contact is made (the compliance engine counts each channel by its own rules).
Channel = Literal["call", "sms", "email", "letter", "visit"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)

# Customer flags the card system or the workflow sets; the strategy may segment on them.
CustomerFlag = Literal["dispute", "bankruptcy", "deceased", "hardship", "vulnerable"]

# The work order's life (the state machine in cases/states.py says which moves are legal).
WORK_ORDER_STATUSES: tuple[str, ...] = (
    "open",
    "assigned",
    "in_progress",
    "promised",
    "kept",
    "broken",
    "escalated",
    "placed",
    "on_hold",
    "closed",
)
# Every status but ``closed`` is a live case: the cycle keeps at most one live case per customer.
OPEN_STATUSES: tuple[str, ...] = tuple(s for s in WORK_ORDER_STATUSES if s != "closed")
CLOSE_REASONS: tuple[str, ...] = ("cured", "paid", "settled", "written_off", "recalled")
# litigation: a legal case was filed; the court and counsel speak to the customer (legal/stages.py).
HOLD_REASONS: tuple[str, ...] = ("dispute", "bankruptcy", "deceased", "hardship", "litigation")

# Staff: dispatch officers, senior specialists on the establishment, leads, managers.
Grade = Literal["collection_officer", "senior_collection_specialist", "team_lead", "manager"]
GRADES: tuple[Grade, ...] = get_args(Grade)
STAFF_STATUSES: tuple[str, ...] = ("active", "on_leave", "left")
