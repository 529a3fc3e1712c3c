"""Page refusals are raised, never returned: a guard or a page raises `PageRefusal`, and the one
exception handler (`node/web/pages.py: refused`, registered by node/app.py) renders the translated
message page with its status, or answers 303 to `location` (the login page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PageRefusal(Exception):
    """A request the page will not serve. `title` and `text` are message ids (or lazily translated
    texts): the error page translates them into the reader's language."""

    def __init__(self, status: int, title: Any = "", text: Any = "", *, location: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {title}")
        self.status = status
        self.title = title
        self.text = text
        self.location = location
        self.headers = dict(headers or {})

    @classmethod
    def login(cls) -> PageRefusal:
        """A visitor who must sign in first: sent to the login page."""
        return cls(303, location="/login")

    @classmethod
    def redirect(cls, location: str) -> PageRefusal:
        return cls(303, location=location)
