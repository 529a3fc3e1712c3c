"""What the kernel reads from a web request, as a structural type: i18n and multilingual choose a language
from a request's cookies, headers, query string and session without importing the web framework. A
Starlette `Request` has all of these, so web code passes its request unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class UrlLike(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def query(self) -> str: ...


class RequestLike(Protocol):
    @property
    def cookies(self) -> Mapping[str, str]: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def query_params(self) -> Mapping[str, str]: ...

    @property
    def url(self) -> UrlLike: ...

    @property
    def scope(self) -> Mapping[str, Any]: ...

    @property
    def session(self) -> Mapping[str, Any]: ...
