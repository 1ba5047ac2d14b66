"""Real servers the channel tests send through, on 127.0.0.1 at a free port: an SMTP server
(aiosmtpd) that keeps what it received, and an HTTP SMS gateway that checks each POST's
signature and answers with a reference."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from arrears.channels.transports import SIGNATURE_HEADER, signed_by

HAN = re.compile(r"[\u4e00-\u9fff]")
# An English sentence or phrase: three or more Latin words in a row (tests/e2e/pagecheck.py).
ENGLISH = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,'-]+[A-Za-z][a-z]+){2,}\b")


def assert_reads_chinese(text: str) -> None:
    """A refusal or state as a Chinese reader gets it: Chinese words, no English sentence (rule
    ids and the debtor's own data may appear as they are)."""
    assert HAN.search(text), text
    english = ENGLISH.search(text)
    assert english is None, f"English left: {english.group(0)!r} in {text!r}"


@dataclass
class SmtpSink:
    """What the SMTP server received; recipients in ``refuse`` get 550 (a bounce)."""

    refuse: set[str] = field(default_factory=set)
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    port: int = 0

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        mail = message_from_bytes(raw, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), mail))
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    # aiosmtpd checks it is up by connecting to its own port, so it needs a real one, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        sink.port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Gateway:
    """What the HTTP gateway received (signature checked); ``answer`` is the status it gives."""

    secret: str
    answer: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    url: str = ""


@contextmanager
def gateway_server(secret: str) -> Iterator[Gateway]:
    gateway = Gateway(secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not signed_by(gateway.secret, body, self.headers.get(SIGNATURE_HEADER)):
                gateway.bad_signatures += 1
                self._answer(401, {"error": "bad signature"})
                return
            payload = json.loads(body)
            payload["idempotency_key"] = self.headers.get("Idempotency-Key")
            if gateway.answer != 200:
                self._answer(gateway.answer, {"error": "refused"})
                return
            gateway.received.append(payload)
            self._answer(200, {"ref": f"gw-{len(gateway.received)}"})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
