"""Typed settings: config/default.toml, then the node's config file, then AGORA_* variables."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar, cast, get_type_hints
from urllib.parse import urlsplit

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "default.toml"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class AssociationSettings:
    handle: str = "association"
    name: str = "Our Association"
    summary: str = ""
    language: str = "en"
    manually_approves_followers: bool = False


@dataclass(frozen=True)
class FederationSettings:
    max_body_bytes: int = 1_000_000
    request_timeout: float = 10.0
    first_signature_scheme: str = "cavage"
    actor_cache_seconds: int = 86400
    ld_max_bytes: int = 65_536  # larger forwarded activities are refetched, their LD signature unchecked
    ld_timeout_seconds: float = 2.0  # time limit of one LD canonicalization (then the worker is killed)
    ld_per_host_per_minute: int = 60  # LD verifications per remote host (the HTTP signer's); 0: no limit


@dataclass(frozen=True)
class WorkerSettings:
    in_process: bool = True
    concurrency: int = 8
    lease_seconds: int = 120
    poll_interval: float = 0.5
    heartbeat_seconds: float = 10.0  # how often a running worker records that it is alive
    stale_after_seconds: float = 60.0  # /healthz answers 503 when no worker has been alive for longer
    restart_delay: float = 2.0  # seconds before a crashed worker loop is started again
    database_retry_max_seconds: float = 10.0  # longest wait between two tries of a failed database step


@dataclass(frozen=True)
class RegistrationSettings:
    open: bool = False


@dataclass(frozen=True)
class MailSettings:
    host: str = ""  # empty: no mail server, messages are logged instead
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    from_address: str = ""
    starttls: bool = True
    per_minute: int = 120  # messages handed to the server per minute, all senders of this node together
    bounce_threshold: int = 3  # hard bounces after which an address gets nothing more
    bounce_mailbox: str = ""  # a Maildir or mbox file the bounces arrive in; empty: none read
    webhook_secret: str = field(default="", repr=False)  # of POST /mail/webhook (bounces, complaints); empty: off


@dataclass(frozen=True)
class MediaSettings:
    max_upload_bytes: int = 10_000_000
    max_pixels: int = 40_000_000  # larger images are refused (decompression bombs)
    max_width: int = 1600  # the largest size kept; smaller sizes are made for small screens
    jpeg_quality: int = 82
    storage: str = "local"  # local (<data_dir>/media) | s3 (an S3-compatible object store)
    s3_endpoint: str = ""  # e.g. https://s3.fr-par.scw.cloud; empty: AWS's endpoint for s3_region
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = field(default="", repr=False)
    s3_prefix: str = ""  # object names start with this (e.g. "agora/"), to share a bucket
    s3_public_url: str = ""  # the bucket's public base URL (or a CDN's); empty: signed URLs
    s3_url_seconds: int = 3600  # lifetime of a signed URL


@dataclass(frozen=True)
class PolicySettings:
    mode: str = "open"  # open | blocklist | allowlist (the admin console may override it)
    authorized_fetch: bool = False  # every GET of ActivityPub content must be signed by an allowed actor
    limited_federation: bool = False  # public pages only for logged-in members (allowlist mode)
    hold_remote_replies: bool = False  # replies, comments and support from remote actors wait for approval


@dataclass(frozen=True)
class LimitSettings:
    inbox_per_host_per_minute: int = 600
    inbox_per_ip_per_minute: int = 1200
    login_per_ip_per_minute: int = 10
    forms_per_ip_per_minute: int = 60
    lockout_after_failures: int = 5  # consecutive wrong passwords from one address before it is locked out
    lockout_base_seconds: int = 60  # doubled at each further failure, up to a day
    lockout_account_failures: int = 50  # wrong passwords from any address that lock the account for everyone
    lockout_account_seconds: int = 3600  # the window they are counted in, and the account lock
    storage_url: str = ""  # where the counters live: empty (or memory://), this process; redis://host:6379/0
    key_prefix: str = "agora"  # the counters' names in that store start with this (one per node sharing it)


@dataclass(frozen=True)
class ServerSettings:
    header_timeout: float = 10.0  # seconds for a request's headers to arrive, then the connection is closed
    body_timeout: float = 60.0  # seconds for a request's body to arrive, then 408
    keep_alive_timeout: int = 5  # seconds an idle kept-alive connection stays open
    max_connections: int = 1000  # open connections beyond this get 503
    access_log: bool = True  # one log line per request (off when a reverse proxy keeps the access log)


@dataclass(frozen=True)
class UiSettings:
    languages: tuple[str, ...] = ("en", "fr", "ar", "es")  # interface languages offered


LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Settings:
    base_url: str = "http://127.0.0.1:8000"
    data_dir: str = "data"
    database_url: str = "sqlite://{data_dir}/agora.sqlite3"
    secret_key: str = field(default="", repr=False)
    allow_private_addresses: bool = False
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    log_level: str = "info"
    association: AssociationSettings = field(default_factory=AssociationSettings)
    federation: FederationSettings = field(default_factory=FederationSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    registration: RegistrationSettings = field(default_factory=RegistrationSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    media: MediaSettings = field(default_factory=MediaSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    config_path: str | None = None

    @property
    def host(self) -> str:
        """host[:port] as it appears in handles (acct:name@host)."""
        return urlsplit(self.base_url).netloc

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url.replace("{data_dir}", str(self.data_path))

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


T = TypeVar("T")


def _coerce(name: str, value: Any, kind: Any) -> Any:
    text = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    if "bool" in text:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise SettingsError(f"{name}: expected true or false, got {value!r}")
    if text.startswith("tuple"):
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise SettingsError(f"{name}: expected a list of strings")
    if "int" in text and "float" not in text:
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{name}: expected a whole number, got {value!r}") from None
    if "float" in text:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{name}: expected a number, got {value!r}") from None
    if "str" in text:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise SettingsError(f"{name}: expected text, got {value!r}")
        return str(value)
    return value


def _build(cls: type[T], data: Mapping[str, Any], env: Mapping[str, str], prefix: str) -> T:
    hints = get_type_hints(cls)
    shape: Any = cls  # a dataclass type (mypy cannot narrow a TypeVar to one)
    known = {f.name for f in fields(shape)}
    unknown = set(data) - known
    if unknown:
        where = prefix.removeprefix("AGORA_").rstrip("_").lower() or "top level"
        raise SettingsError(f"unknown setting(s) in {where}: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for f in fields(shape):
        kind = hints[f.name]
        env_name = f"{prefix}{f.name.upper()}"
        if dataclasses.is_dataclass(kind):
            sub = data.get(f.name, {})
            if not isinstance(sub, Mapping):
                raise SettingsError(f"[{f.name}] must be a table")
            values[f.name] = _build(cast(type, kind), sub, env, f"{env_name}_")
        elif env_name in env:
            values[f.name] = _coerce(env_name, env[env_name], kind)
        elif f.name in data:
            section = prefix.removeprefix("AGORA_").rstrip("_").lower()
            values[f.name] = _coerce(f"{section}.{f.name}" if section else f.name, data[f.name], kind)
    return cls(**values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from None


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def validate(settings: Settings) -> Settings:
    parts = urlsplit(settings.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise SettingsError(f"base_url must look like https://asso.example, got {settings.base_url!r}")
    if settings.base_url.endswith("/"):
        settings = dataclasses.replace(settings, base_url=settings.base_url.rstrip("/"))
    handle = settings.association.handle
    if not handle or not all(c.isalnum() or c in "_" for c in handle) or not handle.isascii():
        raise SettingsError(f"association.handle must be letters, digits or _, got {handle!r}")
    if not settings.resolved_database_url.startswith(("sqlite://", "postgres://", "psql://")):
        raise SettingsError("database_url must start with sqlite:// or postgres://")
    if settings.log_level not in LOG_LEVELS:
        raise SettingsError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
    if settings.federation.first_signature_scheme not in ("cavage", "rfc9421"):
        raise SettingsError("federation.first_signature_scheme must be cavage or rfc9421")
    if settings.federation.ld_timeout_seconds <= 0:
        raise SettingsError("federation.ld_timeout_seconds must be positive")
    if settings.worker.concurrency < 1:
        raise SettingsError("worker.concurrency must be at least 1")
    if min(settings.worker.heartbeat_seconds, settings.worker.database_retry_max_seconds) <= 0:
        raise SettingsError("worker.heartbeat_seconds and worker.database_retry_max_seconds must be positive")
    if settings.worker.stale_after_seconds <= settings.worker.heartbeat_seconds:
        raise SettingsError("worker.stale_after_seconds must be longer than worker.heartbeat_seconds")
    if not 0 < settings.mail.port < 65536:
        raise SettingsError("mail.port must be between 1 and 65535")
    if settings.mail.per_minute < 1 or settings.mail.bounce_threshold < 1:
        raise SettingsError("mail.per_minute and mail.bounce_threshold must be at least 1")
    if settings.policy.mode not in ("open", "blocklist", "allowlist"):
        raise SettingsError("policy.mode must be open, blocklist or allowlist")
    if not settings.ui.languages:
        raise SettingsError("ui.languages must name at least one language")
    _validate_shared(settings)
    server = settings.server
    if min(server.header_timeout, server.body_timeout, server.keep_alive_timeout, server.max_connections) <= 0:
        raise SettingsError("server.header_timeout, body_timeout, keep_alive_timeout and max_connections must be positive")
    return settings


def _validate_shared(settings: Settings) -> None:
    """[limits] storage_url and the [media] storage: what several processes share."""
    url = settings.limits.storage_url.strip()
    if url and not url.removeprefix("async+").startswith(("memory://", "redis://", "rediss://", "redis+unix://",
                                                        "redis+sentinel://", "redis+cluster://", "valkey://")):
        raise SettingsError("limits.storage_url must be empty, memory:// or a redis:// URL")
    media = settings.media
    if media.storage not in ("local", "s3"):
        raise SettingsError('media.storage must be "local" or "s3"')
    if media.storage == "s3":
        if not media.s3_bucket:
            raise SettingsError('media.s3_bucket is needed with media.storage = "s3"')
        for name in ("s3_endpoint", "s3_public_url"):
            value = getattr(media, name)
            if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
                raise SettingsError(f"media.{name} must look like https://host, got {value!r}")
        if media.s3_url_seconds < 1 or media.s3_url_seconds > 604800:
            raise SettingsError("media.s3_url_seconds must be between 1 and 604800 (a week)")


def load_settings(config: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Load defaults, the node's config file (argument or AGORA_CONFIG) and AGORA_* overrides."""
    env = os.environ if env is None else env
    data = _read_toml(DEFAULT_CONFIG)
    path_text = str(config) if config is not None else env.get("AGORA_CONFIG")
    config_path: Path | None = None
    if path_text:
        config_path = Path(path_text).resolve()
        data = _merge(data, _read_toml(config_path))
    settings = _build(Settings, data, env, "AGORA_")
    data_dir = Path(settings.data_dir)
    if not data_dir.is_absolute():
        base = config_path.parent if config_path else Path.cwd()
        data_dir = (base / data_dir).resolve()
    settings = dataclasses.replace(
        settings, data_dir=str(data_dir), config_path=str(config_path) if config_path else None
    )
    return validate(settings)
