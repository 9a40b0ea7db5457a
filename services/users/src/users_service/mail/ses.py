"""Mail through Amazon SES (API v2): region and credentials from boto3's own chain."""

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from users_service.config import Settings
from users_service.mail.backends import PermanentRefusalError
from users_service.mail.message import Message

# Bounded like the S3 client; no retries of botocore's own: MAIL_SEND_ATTEMPTS is the one count.
CLIENT_CONFIG = Config(connect_timeout=3, read_timeout=10, retries={"total_max_attempts": 1})
UTF8 = "UTF-8"
TOO_MANY_REQUESTS = 429


class SesBackend:
    name = "ses"

    def __init__(self, client: Any, sender: str) -> None:
        self.client, self.sender = client, sender

    @classmethod
    def from_settings(cls, settings: Settings) -> "SesBackend":
        if not settings.mail_from:
            raise ValueError("SES needs MAIL_FROM")  # Settings refuses this already
        # A session of its own, as for S3: AWS_* variables or the ECS task role, read now.
        client = boto3.session.Session().client(
            "sesv2", endpoint_url=settings.ses_endpoint_url, config=CLIENT_CONFIG
        )
        return cls(client, settings.mail_from)

    def send(self, message: Message) -> None:
        try:
            self._send_email(message)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            code = error.response.get("Error", {}).get("Code", "")
            # 4xx: SES refused this request (an unverified sender, a rejected message, a
            # suspended account); 429 and 5xx are worth another try.
            if 400 <= status < 500 and status != TOO_MANY_REQUESTS:
                raise PermanentRefusalError(f"{code} ({status})") from error
            raise

    def _send_email(self, message: Message) -> None:
        self.client.send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": [message.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": UTF8},
                    "Body": {
                        "Text": {"Data": message.text, "Charset": UTF8},
                        "Html": {"Data": message.html, "Charset": UTF8},
                    },
                }
            },
        )
