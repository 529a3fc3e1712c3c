"""The one outgoing HTTP client for federation traffic.

Everything Agora sends to, or fetches from, another server goes through
:class:`FederationClient`. It owns the policy that every such request needs:

* an SSRF guard applied to the first URL and to every redirect hop: the
  host is resolved once (every A/AAAA record), the request is refused when
  any address is not public, and the connection is then *pinned* to the
  addresses that were checked (:class:`PinnedBackend`), so a DNS answer
  that changes between the check and the connection (DNS rebinding) cannot
  send the request elsewhere. TLS still verifies the certificate for, and
  sends SNI with, the host name of the URL; the Host header is unchanged;
* an optional federation policy hook (:attr:`FederationClient.policy_check`)
  asked before every request, redirects included;
* HTTP signatures (draft-cavage or RFC 9421, see ``federation.signatures``)
  with the "double knock": when a signed request is answered with 400/401,
  it is retried exactly once with the other scheme, and the scheme that was
  accepted is remembered per host for the next request;
* bounded, streamed response bodies and timeouts;
* manual redirect handling for GET (at most :data:`MAX_REDIRECTS` hops,
  re-checked and re-signed per hop) and *no* redirects for POST.

Errors are reported as :class:`FetchError` (or one of its two subclasses,
:class:`DestinationRefused` and :class:`NetworkFailure`, which the delivery
policy in ``federation.delivery`` uses to classify failures).

Modules: ``guard`` (the SSRF guard), ``pinning`` (connections pinned to the
checked addresses), ``signed`` (the client), ``bodies`` (bounded replies),
``errors``.
"""

from federation.client.errors import DestinationRefused, FetchError, NetworkFailure
from federation.client.guard import (
    Resolver,
    check_destination,
    check_destination_async,
    is_forbidden_address,
    resolve_destination,
    system_resolver,
)
from federation.client.pinning import PinnedBackend
from federation.client.signed import (
    AS2_ACCEPT,
    AS2_CONTENT_TYPE,
    JSON_CONTENT_TYPES,
    MAX_REDIRECTS,
    FederationClient,
    PolicyCheck,
    PostResult,
    Signer,
)
from federation.signatures import Scheme

__all__ = [
    "AS2_ACCEPT",
    "AS2_CONTENT_TYPE",
    "JSON_CONTENT_TYPES",
    "MAX_REDIRECTS",
    "DestinationRefused",
    "FederationClient",
    "FetchError",
    "NetworkFailure",
    "PinnedBackend",
    "PolicyCheck",
    "PostResult",
    "Resolver",
    "Scheme",
    "Signer",
    "check_destination",
    "check_destination_async",
    "is_forbidden_address",
    "resolve_destination",
    "system_resolver",
]
