"""Settings: read from the environment, refused when unsafe, secrets kept out of reprs."""

import os
import re
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from users_service import config
from users_service.auth import rsa_keys
from users_service.auth.signing_key import KEY_FILE_NAME, resolve_signing_key
from users_service.config import ConfigError, Settings, load_settings, normalize_database_url

from services.users.tests.support.helpers import FAST_HASHING, PRODUCTION_MAIL, as_environment

A_PEM_KEY = rsa_keys.generate_pem()
STRONG_SECRET = "x7Qp2Lr9Vb4Nc8Wd1Ke6Mf3Hg5Js0Ta-Yu2Io7Pz9Aq4Sw1Z"  # 48 characters
PG_URL = "postgresql://svc:s3cr3t-db-pw@db.internal:5432/users"
# Production with the shared secret: the SECRET_KEY rules apply (RS256 does not use it).
HS256 = {"JWT_ALGORITHM": "HS256"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the machine running the tests; DATA_DIR is a fresh directory."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))


def _production(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> None:
    values: dict[str, str | None] = {
        "APP_ENV": "production",
        "SECRET_KEY": STRONG_SECRET,
        "JWT_PRIVATE_KEYS": A_PEM_KEY,
        "DATABASE_URL": PG_URL,
        **as_environment(PRODUCTION_MAIL),
        **env,
    }
    for name, value in values.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    "env",
    [
        {**HS256, "SECRET_KEY": None},
        {**HS256, "SECRET_KEY": ""},
        {**HS256, "SECRET_KEY": "short-but-not-empty"},
        {**HS256, "SECRET_KEY": "a" * 31},
        {**HS256, "SECRET_KEY": "my_precious"},
        {**HS256, "SECRET_KEY": "changeme"},
        {"DATABASE_URL": None},
        {"DATABASE_URL": ""},
        {"DATABASE_URL": "sqlite:///var/users.sqlite3"},
        {"DATABASE_URL": "sqlite://"},
        {"JWT_PRIVATE_KEYS": None},
        {"JWT_PRIVATE_KEYS": ""},
    ],
    ids=[
        "no secret",
        "empty secret",
        "short secret",
        "31 characters",
        "my_precious",
        "changeme",
        "no database url",
        "empty database url",
        "sqlite file",
        "sqlite memory",
        "no rs256 keys",
        "empty rs256 keys",
    ],
)
def test_production_refuses_unsafe_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str | None]
) -> None:
    """APP_ENV=production without its signing keys (a strong secret under HS256) and
    PostgreSQL does not start."""
    _production(monkeypatch, **env)
    with pytest.raises(ConfigError):
        load_settings()


@pytest.mark.parametrize(
    "overrides",
    [
        {"jwt_algorithm": "HS256", "secret_key": None},
        {"jwt_algorithm": "HS256", "secret_key": "my_precious"},
        {"jwt_algorithm": "HS256", "secret_key": "s" * 10},
        {"jwt_private_keys": None},
        {"database_url": None},
        {"database_url": "sqlite:////tmp/users.sqlite3"},
    ],
    ids=["no secret", "my_precious", "short secret", "no keys", "no database url", "sqlite url"],
)
def test_production_refuses_unsafe_keyword_arguments(overrides: dict[str, Any]) -> None:
    """The same refusals apply to values passed to load_settings directly."""
    values: dict[str, Any] = {
        "app_env": "production",
        "secret_key": STRONG_SECRET,
        "jwt_private_keys": A_PEM_KEY,
        "database_url": PG_URL,
        **PRODUCTION_MAIL,
        **overrides,
    }
    with pytest.raises(ConfigError):
        load_settings(**values)


def _shows_part_of(message: str, secret: str, window: int = 8) -> bool:
    """Whether any `window` consecutive characters of `secret` appear in `message`."""
    return any(secret[i : i + window] in message for i in range(len(secret) - window + 1))


def test_config_error_names_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refusal says which setting is wrong."""
    _production(monkeypatch, **HS256, SECRET_KEY="my_precious")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings()
    _production(monkeypatch, JWT_ALGORITHM="RS256", JWT_PRIVATE_KEYS=None)
    with pytest.raises(ConfigError, match="JWT_PRIVATE_KEYS"):
        load_settings()
    _production(monkeypatch, DATABASE_URL="sqlite:///x.sqlite3")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings()


@pytest.mark.parametrize(
    ("env", "secret"),
    [
        ({**HS256, "SECRET_KEY": "my_precious"}, "my_precious"),
        ({"DATABASE_URL": None}, STRONG_SECRET),
        ({"DATABASE_URL": "sqlite:///x.sqlite3"}, STRONG_SECRET),
        ({**HS256, "SECRET_KEY": "short-secret"}, "s3cr3t-db-pw"),
        ({"DATABASE_URL": None}, A_PEM_KEY[40:100]),
        ({"ARGON2_MEMORY_KIB": "8"}, STRONG_SECRET),
    ],
    ids=[
        "weak secret",
        "secret, no db",
        "secret, sqlite",
        "db password",
        "rsa key, no db",
        "secret, argon2",
    ],
)
def test_config_error_does_not_echo_secrets(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str | None], secret: str
) -> None:
    """A refused configuration's message (which ends up in logs) shows no secret value."""
    _production(monkeypatch, **env)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert not _shows_part_of(message, secret), message


def test_production_accepts_strong_secret_and_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 48-character secret and a PostgreSQL URL are a valid production configuration."""
    _production(monkeypatch)
    settings = load_settings()
    assert settings.app_env == "production"
    assert len(STRONG_SECRET) == 48
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == STRONG_SECRET
    assert (
        settings.sqlalchemy_url == "postgresql+psycopg2://svc:s3cr3t-db-pw@db.internal:5432/users"
    )


def test_production_accepts_keyword_arguments() -> None:
    """Keyword arguments alone can make a valid production configuration."""
    settings = load_settings(
        app_env="production",
        jwt_private_keys=A_PEM_KEY,
        secret_key=STRONG_SECRET,
        database_url=PG_URL,
        **PRODUCTION_MAIL,
    )
    assert settings.app_env == "production"


def test_environment_variable_names_map_to_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """ACCESS_TOKEN_TTL_SECONDS and CORS_ORIGINS are read from their upper-case names."""
    monkeypatch.setenv("ACCESS_TOKEN_TTL_SECONDS", "60")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("USERS_PAGE_SIZE", "7")
    settings = load_settings()
    assert settings.access_token_ttl_seconds == 60
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.users_page_size == 7


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://a.example", ("https://a.example",)),
        (" https://a.example ,, https://b.example, ", ("https://a.example", "https://b.example")),
        ("", ()),
    ],
)
def test_cors_origins_are_split_and_trimmed(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: tuple[str, ...]
) -> None:
    """CORS_ORIGINS is a comma-separated list; blanks are dropped."""
    monkeypatch.setenv("CORS_ORIGINS", raw)
    assert load_settings().cors_origins == expected


def test_trusted_proxy_networks_are_cidrs(monkeypatch: pytest.MonkeyPatch) -> None:
    """TRUSTED_PROXY_NETWORKS is a comma-separated list of networks; a typo fails loudly."""
    monkeypatch.setenv("TRUSTED_PROXY_NETWORKS", " 172.30.42.10/32 , fd00::/8,")
    networks = load_settings().trusted_proxy_networks
    assert [str(network) for network in networks] == ["172.30.42.10/32", "fd00::/8"]
    monkeypatch.setenv("TRUSTED_PROXY_NETWORKS", "172.30.42.300/32")
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_NETWORKS"):
        load_settings()


def test_environment_values_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-positive or non-numeric value is a ConfigError, not a crash later."""
    monkeypatch.setenv("ACCESS_TOKEN_TTL_SECONDS", "0")
    with pytest.raises(ConfigError):
        load_settings()
    monkeypatch.setenv("ACCESS_TOKEN_TTL_SECONDS", "soon")
    with pytest.raises(ConfigError):
        load_settings()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+psycopg2://u:p@h:5432/db"),
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg2://u:p@h:5432/db"),
        ("postgresql+psycopg2://u:p@h/db", "postgresql+psycopg2://u:p@h/db"),
        ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
    ],
)
def test_database_urls_are_normalized(url: str, expected: str) -> None:
    """postgres:// and postgresql:// pin the psycopg2 driver; other URLs are left alone."""
    assert normalize_database_url(url) == expected
    assert load_settings(database_url=url).sqlalchemy_url == expected


def test_database_url_from_environment_is_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Heroku-style DATABASE_URL in the environment gets the psycopg2 driver too."""
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h/db?sslmode=require")
    assert load_settings().sqlalchemy_url == "postgresql+psycopg2://u:p@h/db?sslmode=require"


def test_without_database_url_sqlite_lives_in_data_dir(tmp_path: Path) -> None:
    """No DATABASE_URL: the embedded SQLite file is inside DATA_DIR (absolute path)."""
    settings = load_settings()
    assert settings.database_url is None
    url = settings.sqlalchemy_url
    assert url.startswith("sqlite:///")
    path = Path(url.removeprefix("sqlite:///"))
    assert path.is_absolute()
    assert path.parent == (tmp_path / "data").resolve()


def test_page_size_above_maximum_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """USERS_PAGE_SIZE > USERS_MAX_PAGE_SIZE is a ConfigError."""
    monkeypatch.setenv("USERS_PAGE_SIZE", "101")
    with pytest.raises(ConfigError, match="USERS_PAGE_SIZE"):
        load_settings()
    monkeypatch.setenv("USERS_MAX_PAGE_SIZE", "200")
    assert load_settings().users_page_size == 101


@pytest.mark.parametrize("env", ["development", "production"])
def test_weak_argon2_parameters_refused_outside_testing(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    """8 KiB of Argon2 memory is below OWASP's minimum: refused unless APP_ENV=testing."""
    _production(monkeypatch, APP_ENV=env)
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "8")
    with pytest.raises(ConfigError, match="ARGON2"):
        load_settings()


def test_weak_argon2_product_refused() -> None:
    """Enough memory but too few passes (memory x time under OWASP's product) is refused."""
    with pytest.raises(ConfigError):
        load_settings(argon2_memory_kib=7168, argon2_time_cost=1)
    assert load_settings(argon2_memory_kib=7168, argon2_time_cost=5).argon2_time_cost == 5


def test_weak_argon2_parameters_allowed_in_testing() -> None:
    """The test suite's cheap hashing is accepted with APP_ENV=testing only."""
    settings = load_settings(app_env="testing", **FAST_HASHING)
    assert settings.argon2_memory_kib == 8


def test_secrets_are_not_in_repr_or_str() -> None:
    """repr() and str() of the settings never show the signing keys, DB password, admin
    password or SMTP password."""
    settings = load_settings(
        app_env="production",
        secret_key=STRONG_SECRET,
        jwt_private_keys=A_PEM_KEY,
        database_url=PG_URL,
        admin_username="root",
        admin_email="root@example.com",
        admin_password="admin-password-123",
        **PRODUCTION_MAIL,
        smtp_username="relay-user",
        smtp_password="smtp-password-456",
    )
    for shown in (repr(settings), str(settings)):
        assert "smtp-password-456" not in shown
        assert STRONG_SECRET not in shown
        assert not _shows_part_of(shown, A_PEM_KEY.split("-----")[2].strip())
        assert "s3cr3t-db-pw" not in shown
        assert "admin-password-123" not in shown
    assert "root@example.com" in repr(settings)  # the rest is still visible for debugging


def test_development_key_is_generated_into_data_dir(tmp_path: Path) -> None:
    """Without SECRET_KEY, development generates a private, non-empty key file in DATA_DIR."""
    settings = load_settings()
    assert settings.secret_key is None
    key = resolve_signing_key(settings)
    path = tmp_path / "data" / KEY_FILE_NAME
    assert path.is_file()
    assert path.read_text().strip() == key
    assert len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, oct(path.stat().st_mode)


def test_two_workers_share_the_generated_key(tmp_path: Path) -> None:
    """Two workers (two settings objects, two calls) sign with the same key."""
    first = resolve_signing_key(load_settings())
    second = resolve_signing_key(load_settings())
    assert first == second
    assert list((tmp_path / "data").iterdir()) == [tmp_path / "data" / KEY_FILE_NAME]


def test_concurrent_workers_agree_on_one_key(tmp_path: Path) -> None:
    """Eight threads generating at once all end up with the key that is in the file."""
    settings = load_settings()
    barrier = threading.Barrier(8, timeout=30)

    def worker(_: int) -> str:
        barrier.wait()
        return resolve_signing_key(settings)

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(worker, range(8)))
    assert len(set(keys)) == 1, keys
    assert keys[0] == (tmp_path / "data" / KEY_FILE_NAME).read_text().strip()
    leftovers = [p.name for p in (tmp_path / "data").iterdir() if p.name != KEY_FILE_NAME]
    assert leftovers == []


def test_configured_secret_key_wins_over_the_file(tmp_path: Path) -> None:
    """A configured SECRET_KEY is used even when a generated key file exists."""
    generated = resolve_signing_key(load_settings())
    assert (tmp_path / "data" / KEY_FILE_NAME).exists()
    configured = resolve_signing_key(load_settings(secret_key=STRONG_SECRET))
    assert configured == STRONG_SECRET
    assert configured != generated
    assert (tmp_path / "data" / KEY_FILE_NAME).read_text().strip() == generated


def test_existing_key_file_is_reused_not_replaced(tmp_path: Path) -> None:
    """A key file left by an earlier start is read, not overwritten."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / KEY_FILE_NAME).write_text("an-earlier-generated-key-of-enough-length\n")
    assert resolve_signing_key(load_settings()) == "an-earlier-generated-key-of-enough-length"
    assert os.environ["DATA_DIR"] == str(data_dir)


# --- uploads and file storage -----------------------------------------------------------------


def test_upload_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """UPLOAD_MAX_BYTES, FILE_STORAGE and S3_* come from their upper-case names."""
    for name, value in {
        "UPLOAD_MAX_BYTES": "2048",
        "FILES_PAGE_SIZE": "5",
        "FILE_STORAGE": "s3",
        "S3_BUCKET": "team-files",
        "S3_PREFIX": "users/uploads/",
        "S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert (settings.upload_max_bytes, settings.files_page_size) == (2048, 5)
    assert (settings.file_storage, settings.s3_bucket) == ("s3", "team-files")
    assert (settings.s3_prefix, settings.s3_endpoint_url) == (
        "users/uploads/",
        "http://127.0.0.1:9000",
    )


def test_upload_defaults() -> None:
    """10 MiB uploads into the database, S3 keys under uploads/ when S3 is chosen."""
    settings = load_settings()
    assert settings.upload_max_bytes == 10 * 1024 * 1024
    assert (settings.file_storage, settings.s3_bucket, settings.s3_prefix) == (
        "database",
        None,
        "uploads/",
    )


def test_by_default_only_the_expected_wait_refuses_a_request_queued_for_the_database() -> None:
    """The queue's cap is no lower than the connections a worker takes: a worker that could
    serve its requests in time refuses none of them for their number alone."""
    settings = load_settings()
    assert settings.db_pool_queue_max >= settings.worker_connections


def test_s3_storage_without_a_bucket_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """FILE_STORAGE=s3 refuses to start without S3_BUCKET."""
    monkeypatch.setenv("FILE_STORAGE", "s3")
    with pytest.raises(ConfigError, match="S3_BUCKET"):
        load_settings()
    monkeypatch.setenv("S3_BUCKET", "files")
    assert load_settings().s3_bucket == "files"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"FILE_STORAGE": "disk"}, "FILE_STORAGE"),
        ({"UPLOAD_MAX_BYTES": "0"}, "UPLOAD_MAX_BYTES"),
        ({"UPLOAD_MAX_BYTES": str(65 * 1024 * 1024)}, "UPLOAD_MAX_BYTES"),
        ({"S3_PREFIX": "/absolute/"}, "S3_PREFIX"),
        ({"S3_ENDPOINT_URL": "localhost:9000"}, "S3_ENDPOINT_URL"),
        ({"FILES_PAGE_SIZE": "101"}, "FILES_PAGE_SIZE"),
    ],
    ids=["unknown storage", "zero", "database over 64 MiB", "prefix /", "no scheme", "page size"],
)
def test_bad_upload_settings_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    """Each refusal names the variable."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_large_uploads_are_allowed_with_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 64 MiB cap is the database storage's; S3 takes up to one PUT's 5 GiB."""
    monkeypatch.setenv("UPLOAD_MAX_BYTES", str(1024**3))
    monkeypatch.setenv("FILE_STORAGE", "s3")
    monkeypatch.setenv("S3_BUCKET", "files")
    assert load_settings().upload_max_bytes == 1024**3
    monkeypatch.setenv("UPLOAD_MAX_BYTES", str(5 * 1024**3 + 1))
    with pytest.raises(ConfigError, match="UPLOAD_MAX_BYTES"):
        load_settings()


REPOSITORY = Path(__file__).resolve().parents[3]
# Set by the platform or by gunicorn's master, never by hand.
SET_BY_THE_RUNTIME = {"ECS_CONTAINER_METADATA_URI_V4", "SEED_FILE"}


@pytest.mark.parametrize("name", [field.upper() for field in Settings.model_fields])
def test_every_setting_is_documented(name: str) -> None:
    """Each variable is in docs/configuration.md's table and (unless the runtime sets it) in
    .env.example, so no setting exists that users cannot discover."""
    table = (REPOSITORY / "docs" / "configuration.md").read_text()
    assert f"`{name}`" in table
    if name not in SET_BY_THE_RUNTIME:
        assert f"\n{name}=" in (REPOSITORY / ".env.example").read_text()


def test_a_dotenv_file_in_the_working_directory_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`.env` as .env.example describes it: read when present; the environment wins."""
    (tmp_path / ".env").write_text("PASSWORD_MIN_LENGTH=20\nUSERS_PAGE_SIZE=7\nDATABASE_URL=\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENV_FILE")
    monkeypatch.setenv("USERS_PAGE_SIZE", "9")
    settings = load_settings()
    assert settings.password_min_length == 20
    assert settings.users_page_size == 9
    assert settings.database_url is None  # empty in the file means unset, as in the environment


def test_env_file_names_another_file_or_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("USERS_PAGE_SIZE=7\n")
    (tmp_path / "staging.env").write_text("USERS_PAGE_SIZE=11\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENV_FILE", "staging.env")
    assert load_settings().users_page_size == 11
    monkeypatch.setenv("ENV_FILE", "")
    assert load_settings().users_page_size == 20


def test_the_example_file_is_a_valid_settings_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`cp .env.example .env` gives a working development configuration."""
    example = Path(__file__).resolve().parents[3] / ".env.example"
    monkeypatch.setenv("ENV_FILE", str(example))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.app_env == "development"
    assert settings.database_url is None


SRC = Path(__file__).resolve().parents[1] / "src"


def _source_files() -> Iterator[Path]:
    for path in sorted(SRC.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


SECRET_DEFAULT_PATTERNS = [
    # os.environ.get("SECRET_KEY", "..."), os.getenv("SECRET_KEY", "...")
    re.compile(r"""(?:get|getenv|setdefault)\(\s*["']SECRET_KEY["']\s*,"""),
    # SECRET_KEY = "...", app.config["SECRET_KEY"] = "...", secret_key: str = "..."
    re.compile(r"""SECRET_KEY["']?\]?\s*(?::[^=\n]*)?=\s*(?:SecretStr\()?\s*[rbuf]?["']""", re.I),
    # Field("...") or Field(default="...") on secret_key
    re.compile(r"""secret_key\s*:[^=\n]*=\s*Field\(\s*(?:default\s*=\s*)?["']""", re.I),
]


def test_source_tree_is_scanned() -> None:
    """Guard for the scans below: they really read the service's code."""
    names = {path.name for path in _source_files()}
    assert {"config.py", "tokens.py", "signing_key.py"} <= names


@pytest.mark.reference_defect("committed its secret key (my_precious) in four files")
def test_reference_secret_is_not_in_the_code() -> None:
    """Defect: the secret `my_precious` was committed. Its only allowed mention is the list of
    known weak secrets that production configuration refuses."""
    offending = []
    for path in _source_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if "my_precious" in line and not line.startswith("KNOWN_WEAK_SECRETS ="):
                offending.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offending == []
    assert "my_precious" in config.KNOWN_WEAK_SECRETS


@pytest.mark.reference_defect("committed its secret key (my_precious) in four files")
def test_no_secret_key_default_in_the_code() -> None:
    """Defect: the secret was committed as a default value."""
    offending = []
    for path in _source_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if any(pattern.search(line) for pattern in SECRET_DEFAULT_PATTERNS):
                offending.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offending == []


@pytest.mark.reference_defect("committed its secret key (my_precious) in four files")
def test_settings_have_no_secret_key_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: the secret was committed. With no SECRET_KEY in the environment there is none."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert Settings.model_fields["secret_key"].default is None
    assert Settings(_env_file=None, app_env="testing").secret_key is None  # type: ignore[call-arg]


@pytest.mark.reference_defect("committed its secret key (my_precious) in four files")
def test_production_refuses_the_reference_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: the secret `my_precious` was committed. Production refuses to start with it
    (under HS256, the algorithm that uses it)."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            app_env="production",
            jwt_algorithm="HS256",
            secret_key=SecretStr("my_precious"),
            database_url=SecretStr("postgresql://users:pw@db.internal/users"),
        )
