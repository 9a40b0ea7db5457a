"""The validated settings of one deploy, built by cli.py from flags and environment variables."""

import re
from dataclasses import dataclass
from pathlib import Path

from ecs_deploy.outcome import DeployError, Outcome

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
COMMIT = re.compile(r"[0-9a-f]{7,40}")
# ECR registry hosts start with the account id: 123456789012.dkr.ecr.<region>.amazonaws.com
ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(frozen=True)
class ImageRef:
    """An image pinned by digest: a tag can be moved after the deploy, a digest cannot."""

    repository_uri: str
    digest: str

    @classmethod
    def parse(cls, image: str) -> "ImageRef":
        uri, _, digest = image.partition("@")
        return cls.of(uri, digest)

    @classmethod
    def of(cls, repository_uri: str, digest: str) -> "ImageRef":
        if not DIGEST.fullmatch(digest):
            raise usage(
                f"image must be pinned by digest (REPO_URI@sha256:<64 hex>), not {digest!r}"
            )
        _host, slash, name = repository_uri.partition("/")
        if not slash or not name or ":" in name:
            raise usage(f"repository must be a URI without a tag (HOST/NAME): {repository_uri!r}")
        return cls(repository_uri, digest)

    @property
    def pinned(self) -> str:
        return f"{self.repository_uri}@{self.digest}"

    @property
    def repository_name(self) -> str:
        return self.repository_uri.partition("/")[2]

    @property
    def registry_id(self) -> str | None:
        account = self.repository_uri.partition(".")[0]
        return account if ACCOUNT_ID.fullmatch(account) else None


ENVIRONMENT = re.compile(r"[a-z][a-z0-9]{1,15}")


@dataclass(frozen=True)
class Config:
    environment: str
    image: ImageRef
    commit: str
    region: str
    template: Path
    service_template: Path
    keep_revisions: int = 5
    timeout: float | None = None
    migration_timeout: float = 900.0
    endpoint_url: str | None = None
    poll_seconds: float = 10.0
    summary_file: Path | None = None

    def __post_init__(self) -> None:
        if not ENVIRONMENT.fullmatch(self.environment):
            raise usage(
                f"--environment must be 2-16 lowercase letters/digits: {self.environment!r}"
            )
        if not COMMIT.fullmatch(self.commit):
            raise usage(f"--commit must be a git sha (7 to 40 lowercase hex): {self.commit!r}")
        if self.keep_revisions < 1:
            raise usage("--keep-revisions must be at least 1")
        if self.poll_seconds < 0 or (self.timeout is not None and self.timeout <= 0):
            raise usage("--poll-seconds must be >= 0 and --timeout > 0")

    @property
    def stack(self) -> str:
        """The environment's service stack, whose outputs name everything the deploy touches."""
        return f"users-{self.environment}-service"


def usage(message: str) -> DeployError:
    return DeployError(Outcome.USAGE_ERROR, message)
