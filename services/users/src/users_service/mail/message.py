"""What the service sends: one mail to one recipient, in plain text and in HTML."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """Every backend sends both bodies; mail clients show the one they prefer."""

    to: str
    subject: str
    text: str
    html: str

    def __post_init__(self) -> None:
        # A line break in a header would let its value start headers of its own.
        for value in (self.to, self.subject):
            if "\r" in value or "\n" in value:
                raise ValueError("a recipient or subject must be one line")
