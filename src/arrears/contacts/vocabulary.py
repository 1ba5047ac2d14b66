"""The contact log's vocabulary: channels, directions, parties, outcomes, and what each means.

The mapping to the compliance engine's own outcome words lives here and only here.
"""

from __future__ import annotations

DIRECTIONS = ("outbound", "inbound")
PARTIES = ("debtor", "guarantor", "contact_person", "third_party", "attorney")
OUTCOMES = (
    "no_answer",
    "busy",
    "not_in_service",
    "voicemail",
    "limited_content_message",
    "right_party_contact",
    "third_party_contact",
    "wrong_number",
    "promise_to_pay",
    "refused",
    "dispute",
    "hardship_claimed",
    "abusive",
    "callback_requested",
)
# Outcomes in which the collector spoke with the debtor himself (RPC): they count as progress for
# step-by-step escalation and start the compliance cool-down where the profile has one.
RIGHT_PARTY_OUTCOMES = frozenset(
    {
        "right_party_contact",
        "promise_to_pay",
        "refused",
        "dispute",
        "hardship_claimed",
        "abusive",
        "callback_requested",
    }
)
PROGRESS_OUTCOMES = frozenset({"right_party_contact", "promise_to_pay"})
# What a contact person may be asked for: never a disclosure of the debt.
CONTACT_PERSON_PURPOSES = ("callback_request", "location_information")

# Our outcomes -> the compliance engine's outcome words (see arrears.compliance profiles).
# not connected: busy / not in service / wrong number never reached the person;
# connected, no conversation: no answer (rang out), voicemail, limited-content message;
# conversation: any spoken exchange with the person called.
COMPLIANCE_OUTCOME: dict[str, str] = {
    "no_answer": "no_answer",
    "busy": "busy",
    "not_in_service": "not_in_service",
    "voicemail": "voicemail",
    "limited_content_message": "limited_content_message",
    "right_party_contact": "conversation",
    "third_party_contact": "conversation",
    "wrong_number": "wrong_number",
    "promise_to_pay": "conversation",
    "refused": "conversation",
    "dispute": "conversation",
    "hardship_claimed": "conversation",
    "abusive": "conversation",
    "callback_requested": "conversation",
}


def compliance_outcome(outcome: str) -> str:
    """The compliance engine's word for one of our outcomes."""
    return COMPLIANCE_OUTCOME[outcome]
