"""Domains as the federation policy reads them: canonical forms (lowercase ASCII, IDNA-normalized, so a
rule written "bücher.example" matches "xn--bcher-kva.example"), the host of a URI, handle or key id,
the parent domains whose rules cover a host (a rule on example.com also covers a.example.com), and
what the public sees of a blocked domain."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

import idna


class PolicyError(ValueError):
    """A rule that cannot be applied as given; the message says why."""


def _idna(host: str) -> str:
    """A host name in its ASCII (punycode) form, lowercase. Raises PolicyError when it is not one."""
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii").lower()
    except idna.IDNAError:
        try:
            return host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise PolicyError(f"not a domain name: {host!r}") from None


def _strip_port(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def _valid_label(label: str) -> bool:
    return 0 < len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label) and label.isascii()


def normalize_domain(text: str) -> str:
    """The canonical form of a domain an admin typed or a list gave: lowercase ASCII, without scheme,
    port, path or trailing dot; "*.example.com" means example.com (subdomains are always covered).
    Raises PolicyError."""
    value = text.strip().strip("\ufeff")
    if "://" in value:
        try:
            value = urlsplit(value).hostname or ""
        except ValueError:
            raise PolicyError(f"not a domain name: {text!r}") from None
    value = value.split("/", 1)[0].rstrip(".").lower()
    if value.startswith("*."):
        value = value[2:]
    value = _strip_port(value)
    if not value:
        raise PolicyError("the domain is empty")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    value = _idna(value)
    if len(value) > 253 or not all(_valid_label(label) for label in value.split(".")):
        raise PolicyError(f"not a domain name: {text.strip()!r}")
    return value


def host_of(uri_or_domain: str) -> str:
    """The host a URI, an acct: handle, a key id or a bare domain names: lowercase ASCII without port.
    Never raises ("" when there is none)."""
    value = uri_or_domain.strip()
    if "://" in value:
        try:
            host = urlsplit(value).hostname or ""
        except ValueError:
            return ""
    elif "@" in value:
        host = _strip_port(value.rsplit("@", 1)[-1].split("/", 1)[0])
    else:
        host = _strip_port(value.split("/", 1)[0])
    host = host.rstrip(".").lower()
    try:
        return _idna(host)
    except PolicyError:
        return host


def suffixes(host: str) -> Iterator[str]:
    """a.b.example.com, b.example.com, example.com, com: every domain whose rules cover `host`."""
    if not host:
        return
    try:
        ipaddress.ip_address(host)
        yield host
        return
    except ValueError:
        pass
    labels = host.split(".")
    for i in range(len(labels)):
        yield ".".join(labels[i:])


def covers(rule_domain: str, host: str) -> bool:
    return host == rule_domain or host.endswith("." + rule_domain)


def public_domain(domain: str, obfuscate: bool) -> str:
    """What the public sees of a blocked domain: itself, or (obfuscated) with its middle hidden, the
    way Mastodon shows it (the first and last quarters and the dots stay)."""
    if not obfuscate:
        return domain
    visible = len(domain) // 4
    return "".join(c if i <= visible or i >= len(domain) - visible or c == "." else "*" for i, c in enumerate(domain))


def digest(domain: str) -> str:
    return hashlib.sha256(domain.encode()).hexdigest()
