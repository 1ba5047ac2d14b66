"""E-mail through SMTP (stdlib ``smtplib``): multipart text + HTML, ``List-Unsubscribe`` with a
one-click link (RFC 8058), a ``Message-ID`` made from the dedupe key so a repeat after a crash
is the same message to the receiving side."""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from arrears.channels.transports import Outgoing, Refused, TransportError
from arrears.kit.clock import clock


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


class SmtpTransport:
    """Hands e-mails to an SMTP server (the bank's relay). A recipient the server refuses
    outright is a bounce; anything else it says no to is tried again on the next pass."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        user: str = "",
        password: str = "",
        starttls: bool = False,
        use_ssl: bool = False,
        timeout: float = 10.0,
        unsubscribe_mailbox: str = "",
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password = user, password
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout
        self.unsubscribe_mailbox = unsubscribe_mailbox

    def message_id(self, message: Outgoing) -> str:
        domain = self.sender.rpartition("@")[2] or "arrears.local"
        return f"<{message.dedupe_key.replace(':', '.')}@{domain}>"

    def compose(self, message: Outgoing) -> EmailMessage:
        """The MIME message: text/plain first, text/html as the alternative."""
        mail = EmailMessage()
        mail["From"] = Address(addr_spec=self.sender)
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail["Date"] = format_datetime(clock.now())
        mail["Message-ID"] = self.message_id(message)
        mail["Content-Language"] = message.locale
        links = []
        if self.unsubscribe_mailbox:
            links.append(
                f"<mailto:{self.unsubscribe_mailbox}?subject=unsubscribe%20{message.dedupe_key}>"
            )
        if message.unsubscribe:
            links.append(f"<{message.unsubscribe}>")
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if links:
            mail["List-Unsubscribe"] = ", ".join(links)
        mail.set_content(message.body)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

    def handed(self, message: Outgoing) -> str | None:
        # An SMTP server cannot be asked; the fixed Message-ID lets the far side drop a repeat.
        return None

    def send(self, message: Outgoing) -> str:
        mail = self.compose(message)
        try:
            client: smtplib.SMTP
            if self.use_ssl:
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, why = next(iter(exc.recipients.values()))
            if 500 <= code < 600:
                raise Refused(f"{code} {_text(why)}", status="bounced") from exc
            raise TransportError(f"{code} {_text(why)}") from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"cannot reach {self.host}:{self.port}: {exc}") from exc
        return str(mail["Message-ID"])
