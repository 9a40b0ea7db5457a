"""Mail through an SMTP server (a relay, SES's SMTP interface, a local mail catcher)."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import cached_property
from typing import Literal

from users_service.config import Settings
from users_service.mail.backends import PermanentRefusalError
from users_service.mail.message import Message

Security = Literal["starttls", "ssl", "none"]
# The standard port of each SMTP_SECURITY: submission, implicit TLS, plain relay.
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "ssl": 465, "none": 25}


class SmtpBackend:
    """One connection per message: a worker sends little mail, and an idle connection
    would be closed by the server anyway."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        security: Security,
        timeout: float,
        sender: str,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.host, self.port, self.security, self.timeout = host, port, security, timeout
        self.sender, self.credentials = sender, credentials

    @cached_property
    def tls(self) -> ssl.SSLContext:
        """The system's CAs (or SSL_CERT_FILE's), and the host name checked against the
        certificate: a relay that cannot prove who it is gets no password and no mail. Read
        at the first message rather than at start: loading the CAs would slow every
        worker's start, for mail that most workers send late or never."""
        return ssl.create_default_context()

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpBackend":
        if not settings.smtp_host or not settings.mail_from:
            raise ValueError("SMTP needs SMTP_HOST and MAIL_FROM")  # Settings refuses this already
        credentials = None
        if settings.smtp_username is not None and settings.smtp_password is not None:
            credentials = (settings.smtp_username, settings.smtp_password.get_secret_value())
        security = settings.smtp_security
        return cls(
            settings.smtp_host,
            settings.smtp_port or DEFAULT_PORTS[security],
            security,
            settings.smtp_timeout_seconds,
            settings.mail_from,
            credentials,
        )

    def send(self, message: Message) -> None:
        try:
            with self._connect() as client:
                if self.credentials is not None:
                    client.login(*self.credentials)
                client.send_message(mime_message(self.sender, message))
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(_permanent(code) for code in codes):
                raise PermanentRefusalError(f"{type(error).__name__} {codes[0]}") from error
            raise
        except smtplib.SMTPResponseException as error:  # a refused login, sender or message
            if _permanent(error.smtp_code):
                raise PermanentRefusalError(f"{type(error).__name__} {error.smtp_code}") from error
            raise

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                client.starttls(context=self.tls)
        except BaseException:
            client.close()
            raise
        return client


def _permanent(code: int) -> bool:
    """RFC 5321: 5yz replies are permanent, 4yz ones transient (try again later)."""
    return 500 <= code < 600


def mime_message(sender: str, message: Message) -> EmailMessage:
    """The message as MIME: multipart/alternative, the text part first."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    # The sender's domain: make_msgid would otherwise look up this host's name.
    mime["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2])
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime
