"""Every URL the node mints, in one place. Ids never change once federated."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Urls:
    base: str

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def key_id(self, actor_uri: str) -> str:
        return f"{actor_uri}#main-key"

    def inbox(self, username: str) -> str:
        return f"{self.actor(username)}/inbox"

    def outbox(self, username: str) -> str:
        return f"{self.actor(username)}/outbox"

    def followers(self, username: str) -> str:
        return f"{self.actor(username)}/followers"

    def following(self, username: str) -> str:
        return f"{self.actor(username)}/following"

    def featured(self, username: str) -> str:
        return f"{self.actor(username)}/featured"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    def post(self, slug: str) -> str:
        return f"{self.base}/posts/{slug}"

    def activity(self, slug: str) -> str:
        return f"{self.base}/activities/{slug}"

    def initiative(self, slug: str) -> str:
        return f"{self.base}/initiatives/{slug}"

    def is_initiative(self, uri: str) -> bool:
        """Whether `uri` has the shape of this node's initiatives (every one was minted by
        `initiative`): the inbox asks before looking one up for each Like of a post."""
        prefix = f"{self.base}/initiatives/"
        slug = uri[len(prefix):] if uri.startswith(prefix) else ""
        return bool(slug) and "/" not in slug

    def is_local(self, uri: str) -> bool:
        return uri == self.base or uri.startswith(self.base + "/") or uri.startswith(self.base + "#")
