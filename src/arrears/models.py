"""Every domain's tables, imported once so ``Base.metadata`` is complete (Alembic, tests)."""

from arrears.auth.models import ApiToken, SignInAttempt, User, UserSession
from arrears.cases.models import CustomerProfile, FollowUp, ThreeStop, WorkOrder, WorkOrderAccount
from arrears.channels.models import ChannelOptOut, DebtorChannel, MessageReceipt, OutboxMessage
from arrears.chargeoff.models import ChargedOffAccount, Recovery, WriteOff
from arrears.compliance.models import ComplianceCheck, ContactConsent
from arrears.contacts.models import ContactAttempt
from arrears.engine.models import CycleRun
from arrears.kit.audit import AuditEvent
from arrears.kit.idempotency import IdempotencyKey
from arrears.legal.models import LegalCase, LegalCost, LegalDocument
from arrears.payments.models import PaymentEvent, PaymentIntent
from arrears.portal.models import PortalAttempt, PortalLink, PortalSession
from arrears.portfolio.models import (
    CardAccount,
    Cardholder,
    ContactPerson,
    ImportBatch,
    Payment,
    Phone,
    ReportedDelinquency,
    Statement,
)
from arrears.promises.models import PlanInstalment, Promise, RepaymentPlan
from arrears.workforce.models import (
    Agency,
    AgencyContract,
    Assignment,
    PaymentReversal,
    Staff,
    StaffMetricMonth,
    Team,
    TrainingCompletion,
)

__all__ = [
    "ChargedOffAccount",
    "Recovery",
    "WriteOff",
    "IdempotencyKey",
    "ContactAttempt",
    "CustomerProfile",
    "FollowUp",
    "OutboxMessage",
    "DebtorChannel",
    "ChannelOptOut",
    "MessageReceipt",
    "PlanInstalment",
    "Promise",
    "RepaymentPlan",
    "ThreeStop",
    "ComplianceCheck",
    "ContactConsent",
    "ApiToken",
    "SignInAttempt",
    "User",
    "UserSession",
    "AuditEvent",
    "CycleRun",
    "CardAccount",
    "Cardholder",
    "ContactPerson",
    "ImportBatch",
    "Payment",
    "Phone",
    "ReportedDelinquency",
    "Statement",
    "WorkOrder",
    "WorkOrderAccount",
    "Agency",
    "AgencyContract",
    "Assignment",
    "Staff",
    "StaffMetricMonth",
    "Team",
    "TrainingCompletion",
    "PaymentReversal",
    "LegalCase",
    "LegalCost",
    "LegalDocument",
    "PaymentEvent",
    "PaymentIntent",
    "PortalAttempt",
    "PortalLink",
    "PortalSession",
]
