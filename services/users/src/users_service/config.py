"""The one source of configuration: a typed settings object read from the environment."""

import logging
import os
import re
from email.utils import formataddr, getaddresses
from ipaddress import IPv4Network, IPv6Network, ip_address
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Self
from urllib.parse import urlsplit

from email_validator import validate_email
from flask import Flask, current_app
from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# OWASP's Argon2id table: every row has at least 7 MiB and memory x passes >= 35,840 KiB.
OWASP_MIN_MEMORY_KIB = 7168
OWASP_MIN_MEMORY_TIME_PRODUCT = 35840
MIN_SECRET_LENGTH = 32
# Secrets seen in tutorials and in the reference service: never acceptable in production.
KNOWN_WEAK_SECRETS = frozenset({"my_precious", "changeme", "change-me", "secret", "dev", "test"})
EXTENSION_KEY = "users_service.settings"
MIB = 1024 * 1024
# S3 takes at most 5 GiB in one PUT (uploads use one PUT, so an object appears whole or not).
S3_SINGLE_PUT_MAX = 5 * 1024 * MIB
# Every upload is spooled whole to $TMPDIR before it is stored: 64 MiB in the ECS task.
DATABASE_UPLOAD_MAX = 64 * MIB


PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE_PATTERN = re.compile(r"\s*([0-9]{1,9})\s*/\s*(second|minute|hour|day)\s*")


class ConfigError(ValueError):
    """The environment does not describe a configuration this service may run with."""


class Rate(NamedTuple):
    """A rate limit: at most `limit` requests per `period_seconds`, written `10/minute`."""

    limit: int
    period_seconds: int

    @classmethod
    def parse(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = RATE_PATTERN.fullmatch(value)
        if match is None or int(match[1]) < 1:
            raise ValueError("expected COUNT/PERIOD, e.g. 10/minute (second, minute, hour, day)")
        return cls(int(match[1]), PERIOD_SECONDS[match[2]])


RateSetting = Annotated[Rate, BeforeValidator(Rate.parse), NoDecode]


# Settings, in groups of what they are about; `Settings` is all of them (and carries the
# configuration: an empty variable, as in .env.example, means "not set", not "").
CONFIG = SettingsConfigDict(extra="ignore", frozen=True, env_ignore_empty=True)


class DatabaseSettings(BaseSettings):
    """Where the data lives, each worker's pool of connections to it, and their timeouts.
    The upper bounds refuse values that would exhaust PostgreSQL or hang requests."""

    database_url: SecretStr | None = None
    data_dir: Path = Path("var")
    # Migrations only: the URL the serving tasks use; `db upgrade` creates that role and grants
    # it data privileges (DATABASE_URL is then the schema owner's).
    app_database_url: SecretStr | None = None
    # A fixed pool: a task holds WEB_CONCURRENCY x (DB_POOL_SIZE + DB_MAX_OVERFLOW)
    # connections at most, counted against RDS max_connections (docs/deploy-aws.md), and
    # overflow connections would be opened and closed with every burst.
    db_pool_size: int = Field(4, ge=1, le=100)
    db_max_overflow: int = Field(0, ge=0, le=100)
    db_pool_timeout_seconds: float = Field(3.0, gt=0, le=60)
    # Requests that would wait behind this many others for a connection (per worker), or
    # longer than this many seconds by the recent pace, are refused at once, with a 503 and
    # Retry-After, instead of after DB_POOL_TIMEOUT_SECONDS. The wait is what should refuse:
    # a cap on the count below the connections a worker takes would refuse requests it could
    # serve in time, and each refusal takes the CPU from the requests it admitted.
    db_pool_queue_max: int = Field(1000, ge=1)
    db_pool_queue_max_wait_seconds: float = Field(2.0, gt=0, le=60)
    db_connect_timeout_seconds: int = Field(3, ge=1, le=60)
    db_statement_timeout_ms: int = Field(5000, ge=100)
    # PostgreSQL ends a session left idle inside a transaction this long: a backstop, should
    # any request wait on its client while holding a connection.
    db_idle_in_transaction_timeout_ms: int = Field(10000, ge=100)


class TokenSettings(BaseSettings):
    """Signing and lifetimes of tokens."""

    # RS256 lets other services (and the ALB) verify tokens with the published public keys;
    # HS256 is kept for clients that forge or verify tokens with the shared SECRET_KEY.
    jwt_algorithm: Literal["RS256", "HS256"] = "RS256"
    # RS256: PEM private keys, the signing one first; the others stay published and accepted.
    jwt_private_keys: SecretStr | None = None
    jwt_issuer: str = Field("users-service", min_length=1, max_length=256)  # the ALB's limit
    jwt_audience: str | None = Field(None, min_length=1, max_length=256)
    secret_key: SecretStr | None = None
    access_token_ttl_seconds: int = Field(900, gt=0)
    refresh_token_ttl_seconds: int = Field(14 * 86400, gt=0)


class AdminSettings(BaseSettings):
    """The first admin, which `db upgrade` creates or promotes when all three are set."""

    admin_username: str | None = None
    admin_email: str | None = None
    admin_password: SecretStr | None = None


class PasswordSettings(BaseSettings):
    """The password policy and its hashing. The upper bounds keep one login's hash within the
    task's CPU and memory."""

    password_min_length: int = Field(8, ge=1, le=256)
    password_max_length: int = Field(1024, ge=8, le=4096)
    argon2_time_cost: int = Field(2, ge=1, le=20)
    argon2_memory_kib: int = Field(19456, ge=8, le=262144)
    argon2_parallelism: int = Field(1, ge=1, le=8)
    # Per worker process: keep web_concurrency x hash_threads close to the number of cores.
    hash_threads: int = Field(1, ge=1, le=16)


class AccountMailSettings(BaseSettings):
    """What the service mails to accounts: password-reset links and address verification
    (docs/mail.md says how mail is sent)."""

    password_reset_ttl_seconds: int = Field(1800, ge=60, le=86400)
    # off: the contract's behaviour; optional: mail a link, show `email_verified`;
    # required: as optional, and an unverified address cannot log in.
    email_verification: Literal["off", "optional", "required"] = "off"
    email_verification_ttl_seconds: int = Field(86400, ge=60, le=7 * 86400)


class RateSettings(BaseSettings):
    """Budgets of login, register, refresh and uploads, per client address and per account."""

    rate_limits_enabled: bool = True
    rate_limit_login_per_ip: RateSetting = Rate(30, 60)
    # Logins count failures only: per account from one address, and per account from all
    # addresses (not the one it last logged in from), larger so that one address cannot
    # spend it: 5 addresses at the first budget to spend the second.
    rate_limit_login_per_account: RateSetting = Rate(10, 60)
    rate_limit_login_per_account_all_addresses: RateSetting = Rate(50, 60)
    rate_limit_register_per_ip: RateSetting = Rate(20, 3600)
    rate_limit_register_per_account: RateSetting = Rate(5, 3600)
    rate_limit_refresh_per_ip: RateSetting = Rate(120, 60)
    rate_limit_refresh_per_account: RateSetting = Rate(30, 60)
    rate_limit_upload_per_account: RateSetting = Rate(60, 3600)
    # Changes confirmed with the password (password change, account update and deletion).
    rate_limit_password_per_ip: RateSetting = Rate(30, 60)
    rate_limit_password_per_account: RateSetting = Rate(10, 3600)
    # Mail sent on request: password-reset links (per address, per email asked about) and
    # new verification links (per address, per user).
    rate_limit_password_reset_per_ip: RateSetting = Rate(10, 3600)
    rate_limit_password_reset_per_account: RateSetting = Rate(3, 3600)
    rate_limit_verify_email_per_ip: RateSetting = Rate(10, 3600)
    rate_limit_verify_email_per_account: RateSetting = Rate(3, 3600)

    def rate(self, action: str, scope: Literal["ip", "account"]) -> Rate:
        """`RATE_LIMIT_<ACTION>_PER_<SCOPE>` of login, register or refresh."""
        rate: Rate = getattr(self, f"rate_limit_{action}_per_{scope}")
        return rate


class HttpSettings(BaseSettings):
    """Requests and replies: sizes, pages, who may list users, CORS, and which proxies to
    believe."""

    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    users_page_size: int = Field(20, ge=1)
    users_max_page_size: int = Field(100, ge=1)
    # The reference listed users, emails included, to anyone; false keeps GET /users and
    # GET /users/<id> for signed-in users and shows an email to admins and its owner only.
    users_public: bool = True
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # How many proxies (HAProxy, the ALB) append to X-Forwarded-For in front of the service;
    # 0 trusts no header, so a client cannot choose the address it is limited as.
    trusted_proxy_count: int = Field(0, ge=0, le=5)
    # The peers allowed to be those proxies (comma-separated CIDRs). Empty: any peer, right
    # only where nothing but the proxy can connect (ECS instances behind the ALB).
    trusted_proxy_networks: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()


class ServingSettings(BaseSettings):
    """gunicorn and this instance: address, workers, identity, and how long a client may take
    (idle, to send its headers and body, to take a reply)."""

    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)
    instance_id: str | None = None
    ecs_container_metadata_uri_v4: str | None = None  # set by the ECS agent
    seed_file: Path | None = None
    web_concurrency: int = Field(2, ge=1, le=64)
    # Connection slots per worker: idle or slow clients hold one each until a deadline below.
    worker_connections: int = Field(1000, ge=1, le=100_000)
    keepalive_seconds: int = Field(75, ge=1)
    header_timeout_seconds: float = Field(10.0, gt=0, le=300)
    body_timeout_seconds: float = Field(60.0, gt=0)
    send_timeout_seconds: float = Field(30.0, gt=0, le=3600)
    # Below the container's stop timeout (ECS allows at most 120 s), so a stopping task drains.
    graceful_timeout_seconds: int = Field(20, ge=1, le=120)


class FileSettings(BaseSettings):
    """Uploads: their size, concurrency, quota, their pages, and where their content is."""

    upload_max_bytes: int = Field(10 * MIB, ge=1, le=S3_SINGLE_PUT_MAX)
    # Uploads and downloads running at once in one worker process, in all and per user:
    # what bounds a worker's memory (docs/api.md, Uploads, has the arithmetic).
    files_transfers_per_worker: int = Field(16, ge=1)
    files_transfers_per_user: int = Field(4, ge=1)
    # The total size of the files one account may upload.
    files_quota_bytes_per_user: int = Field(100 * MIB, ge=1)
    file_storage: Literal["database", "s3"] = "database"
    # Region and credentials are boto3's own (AWS_DEFAULT_REGION, AWS_* keys, the task role).
    s3_bucket: str | None = None
    files_page_size: int = Field(20, ge=1)
    files_max_page_size: int = Field(100, ge=1)
    s3_prefix: str = Field("uploads/", max_length=512, pattern=r"^[^/]")
    # Only for S3-compatible servers (MinIO, moto); AWS itself needs none.
    s3_endpoint_url: str | None = Field(None, pattern=r"^https?://")


class MailSettings(BaseSettings):
    """Outgoing mail: how it is sent, from whom, where its links point, and each worker's
    outbox (docs/mail.md)."""

    mail_backend: Literal["console", "smtp", "ses"] = "console"
    mail_from: str | None = None
    # The address of the app users open: links in mail are built on it.
    public_app_url: str = "http://127.0.0.1:5000"
    smtp_host: str | None = None
    # Unset: the standard port of SMTP_SECURITY (mail/smtp.py).
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # Only for SES-compatible servers (moto); region and credentials are boto3's own.
    ses_endpoint_url: str | None = Field(None, pattern=r"^https?://")
    # Mail waiting or being sent in one worker process: what a flood of requests can queue.
    mail_queue_max: int = Field(100, ge=1, le=10_000)
    mail_send_attempts: int = Field(3, ge=1, le=10)

    @field_validator("mail_from")
    @classmethod
    def _one_sender(cls, value: str | None) -> str | None:
        """`address` or `Name <address>`, written back as a header value."""
        if value is None:
            return None
        found = getaddresses([value])
        if "\r" in value or "\n" in value or len(found) != 1:
            raise ValueError("expected one address, e.g. Users <no-reply@example.com>")
        name, address = found[0]
        validate_email(address, check_deliverability=False)
        return formataddr((name, address))

    @field_validator("public_app_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        """Links are built as PUBLIC_APP_URL + "/path": no trailing slash, query or fragment."""
        parts = urlsplit(value)
        # `port` raises ValueError itself when out of range.
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.port == 0:
            raise ValueError("expected an absolute http(s) URL, e.g. https://app.example.com")
        if parts.username is not None or "?" in value or "#" in value:
            raise ValueError("expected no user, query or fragment")
        return value.rstrip("/")

    def _check_mail(self) -> None:
        if self.mail_backend != "console" and self.mail_from is None:
            raise ValueError(f"MAIL_BACKEND={self.mail_backend} needs MAIL_FROM")
        if self.mail_backend == "smtp" and not self.smtp_host:
            raise ValueError("MAIL_BACKEND=smtp needs SMTP_HOST")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("SMTP_USERNAME and SMTP_PASSWORD go together")

    def _require_production_mail(self) -> None:
        if self.mail_backend == "console":
            raise ValueError(
                "production needs MAIL_BACKEND=smtp or ses: the console backend sends nothing"
            )
        # Links in mail carry one-time tokens: over https only, but to this machine.
        url = urlsplit(self.public_app_url)
        if "public_app_url" not in self.model_fields_set or (
            url.scheme != "https" and not _is_loopback(url.hostname or "")
        ):
            raise ValueError("production needs PUBLIC_APP_URL, an https URL")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(
    DatabaseSettings,
    TokenSettings,
    AdminSettings,
    PasswordSettings,
    RateSettings,
    HttpSettings,
    ServingSettings,
    FileSettings,
    MailSettings,
    AccountMailSettings,
):
    """Every setting of the service; each field is read from the upper-case variable of its name."""

    model_config = CONFIG
    app_env: Literal["development", "testing", "production"] = "development"

    def page_sizes(self, kind: Literal["users", "files"]) -> tuple[int, int]:
        """A list's default and largest page: `<KIND>_PAGE_SIZE`, `<KIND>_MAX_PAGE_SIZE`."""
        sizes: tuple[int, int] = (
            getattr(self, f"{kind}_page_size"),
            getattr(self, f"{kind}_max_page_size"),
        )
        return sizes

    @field_validator("cors_origins", "trusted_proxy_networks", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        for kind in ("users", "files"):
            default, largest = self.page_sizes(kind)
            if default > largest:
                name = kind.upper()
                raise ValueError(f"{name}_PAGE_SIZE must not exceed {name}_MAX_PAGE_SIZE")
        self._check_file_storage()
        self._check_mail()
        if self.app_env != "testing":
            self._require_owasp_hashing()
        if self.app_env == "production":
            self._require_production_secrets()
        return self

    def _check_file_storage(self) -> None:
        if self.file_storage == "s3" and not self.s3_bucket:
            raise ValueError("FILE_STORAGE=s3 needs S3_BUCKET")
        if self.file_storage == "database" and self.upload_max_bytes > DATABASE_UPLOAD_MAX:
            raise ValueError(f"UPLOAD_MAX_BYTES above {DATABASE_UPLOAD_MAX} needs FILE_STORAGE=s3")

    def _require_owasp_hashing(self) -> None:
        product = self.argon2_memory_kib * self.argon2_time_cost
        if self.argon2_memory_kib < OWASP_MIN_MEMORY_KIB or product < OWASP_MIN_MEMORY_TIME_PRODUCT:
            raise ValueError("ARGON2_* parameters are below OWASP's minimum (19456 KiB, 2 passes)")

    def _require_production_secrets(self) -> None:
        if self.jwt_algorithm == "HS256":
            self._require_strong_secret_key()
        elif self.jwt_private_keys is None:
            raise ValueError(
                "production with JWT_ALGORITHM=RS256 needs JWT_PRIVATE_KEYS"
                " (`users-service jwt-key` prints a new key)"
            )
        url = self.database_url.get_secret_value() if self.database_url else ""
        if not url or url.startswith("sqlite"):
            raise ValueError("production needs DATABASE_URL pointing at PostgreSQL")
        self._require_production_mail()

    def _require_strong_secret_key(self) -> None:
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(secret) < MIN_SECRET_LENGTH or secret.lower() in KNOWN_WEAK_SECRETS:
            raise ValueError(
                f"production needs SECRET_KEY of at least {MIN_SECRET_LENGTH} random characters"
            )

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, or the embedded SQLite file when none is configured."""
        if self.database_url is not None:
            return normalize_database_url(self.database_url.get_secret_value())
        return f"sqlite:///{(self.data_dir / 'users.sqlite3').resolve()}"


def normalize_database_url(url: str) -> str:
    """Pin the psycopg2 driver (SQLAlchemy 2.1 defaults plain URLs to psycopg 3), and accept
    the `postgres://` spelling that Heroku-style providers hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url.removeprefix(prefix)
    return url


def load_settings(**overrides: object) -> Settings:
    """Read the environment, then the settings file (a variable set in the environment wins);
    turn pydantic's report into one readable ConfigError.

    The report is rebuilt without the input values (they include the secrets), and the
    original is dropped from the chain so no traceback carries them either.
    """
    try:
        return Settings(_env_file=settings_file(), **overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = "; ".join(_describe(problem) for problem in error.errors(include_input=False))
        raise ConfigError(f"invalid configuration: {problems}") from None


def settings_file() -> Path | None:
    """The dotenv file of settings: `ENV_FILE`, by default `.env` in the working directory
    (read only if it exists); `ENV_FILE=` (empty) reads none."""
    name = os.environ.get("ENV_FILE", ".env")
    return Path(name) if name else None


def _describe(problem: Any) -> str:
    where = ".".join(str(part).upper() for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else str(problem["msg"])


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION_KEY] = settings


def current_settings() -> Settings:
    """The settings of the application handling the request (or command)."""
    settings: Settings = current_app.extensions[EXTENSION_KEY]
    return settings


def configure_logging() -> None:
    """Log lines of the service's own modules at INFO, for the entry points (gunicorn's
    configuration, the CLI); the application factory leaves logging alone."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic announces each of its built-in plugins at INFO on every `db upgrade`.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
