"""The federation policy's decision engine: domain normalization and matching (subdomains, case, IDNA),
the three modes, per-actor rules, reject media/reports, the in-memory cache and its invalidation,
the outgoing gate and the public part of the rules."""

from __future__ import annotations

import pytest

from node.policy import blocks, modes, policy, rules as domain_rules
from node.core.models import AuditEntry, SiteSetting
from node.policy.models import DomainPolicy
from node.policy.domains import PolicyError, digest, host_of, normalize_domain, public_domain
from node.policy.snapshot import CHECK_SECONDS, GENERATION_KEY, MODE_KEY, DomainRule, Snapshot, snapshot
from node.core.runtime import Node
from tests.conftest import Federation


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("https://Example.com:8443/users/x", "example.com"),
        ("example.com:443", "example.com"),
        ("*.example.com", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("  spam.example  ", "spam.example"),
        ("192.0.2.7", "192.0.2.7"),
    ],
)
def test_domains_are_normalized(given: str, expected: str) -> None:
    assert normalize_domain(given) == expected


@pytest.mark.parametrize("bad", ["", "   ", "exa mple.com", "a..b", "-" * 64 + ".com", "exa;mple.com", "ex*mple.com"])
def test_bad_domains_are_refused(bad: str) -> None:
    with pytest.raises(PolicyError):
        normalize_domain(bad)


def test_hosts_are_read_from_uris_handles_and_key_ids() -> None:
    assert host_of("https://A.Example.com/users/bob#main-key") == "a.example.com"
    assert host_of("acct:bob@Social.Example") == "social.example"
    assert host_of("@bob@social.example:8000") == "social.example"
    assert host_of("http://bücher.example/x") == "xn--bcher-kva.example"
    assert host_of("not a url at all") == "not a url at all"


def test_decisions_cover_subdomains_and_not_lookalikes() -> None:
    snap = Snapshot(blocks={"spam.example": DomainRule("spam.example", "suspend")})
    assert snap.refusal("https://spam.example/users/x")
    assert snap.refusal("https://a.b.SPAM.example/users/x")
    assert snap.refusal("spam.example")
    assert snap.refusal("https://notspam.example/users/x") is None
    assert snap.refusal("https://spam.example.org/users/x") is None


def test_allowlist_mode_allows_only_listed_domains_and_a_suspension_wins() -> None:
    snap = Snapshot(
        mode="allowlist", allows=frozenset({"friends.example", "both.example"}),
        blocks={"both.example": DomainRule("both.example", "suspend")},
    )
    assert snap.refusal("https://friends.example/users/x") is None
    assert snap.refusal("https://chat.friends.example/users/x") is None
    assert "not on the allow list" in (snap.refusal("https://stranger.example/users/x") or "")
    assert "suspended" in (snap.refusal("https://both.example/users/x") or "")
    assert snap.secure  # only listed domains may fetch: signatures are required


def test_silence_media_and_reports_rules() -> None:
    snap = Snapshot(blocks={
        "loud.example": DomainRule("loud.example", "silence"),
        "pics.example": DomainRule("pics.example", "noop", reject_media=True, reject_reports=True),
    }, actors={"https://ok.example/users/troll": "silence", "https://ok.example/users/spammer": "suspend"})
    assert snap.silenced("https://loud.example/users/x") and snap.refusal("https://loud.example/users/x") is None
    assert not snap.silenced("https://pics.example/users/x")
    assert snap.media_rejected("pics.example") and snap.reports_rejected("https://pics.example/x")
    assert not snap.media_rejected("loud.example")
    assert snap.silenced("https://ok.example/users/troll") and not snap.silenced("https://ok.example/users/other")
    assert snap.refusal("https://ok.example/users/spammer#main-key")
    assert snap.refusal("https://ok.example/users/troll") is None
    assert snap.refusal("ok.example") is None  # an account rule is not a domain rule


def test_obfuscated_domains_keep_their_ends() -> None:
    assert public_domain("badserver.example", False) == "badserver.example"
    hidden = public_domain("badserver.example", True)
    assert hidden.startswith("badse") and hidden.endswith("mple") and "*" in hidden and "badserver" not in hidden


async def test_rules_apply_through_the_api_and_are_audited(node: Node) -> None:
    with node.ctx:
        assert not await policy.is_blocked(node, "https://spam.example/users/x")
        await domain_rules.save_rule(node, "Spam.Example", "suspend", public_comment="spam", by="cli")
        await domain_rules.save_rule(node, "loud.example", "silence", reject_media=True, by="cli")
        assert await policy.is_blocked(node, "https://www.spam.example/users/x")
        assert await policy.is_silenced(node, "https://loud.example/users/x")
        assert await policy.rejects_media(node, "loud.example")
        assert not await policy.rejects_media(node, "fine.example")
        assert await policy.client_check(node, "https://spam.example/inbox") == "spam.example: domain spam.example is suspended"
        assert await policy.client_check(node, "https://fine.example/inbox") is None
        assert not await policy.is_blocked(node, node.urls.actor("asso"))  # never our own
        actions = [e.action for e in await AuditEntry.all().order_by("id")]
        assert actions == ["domain.suspend", "domain.silence"]
        assert (await AuditEntry.first()).by == "cli"  # type: ignore[union-attr]
        assert await domain_rules.remove_domain(node, "spam.example", "block", by="cli")
        assert not await policy.is_blocked(node, "https://spam.example/users/x")


async def test_changing_a_rule_changes_its_action_not_the_number_of_rules(node: Node) -> None:
    with node.ctx:
        await domain_rules.save_rule(node, "x.example", "silence", by="cli")
        await domain_rules.save_rule(node, "x.example", "suspend", by="cli")
        assert await DomainPolicy.filter(domain="x.example").count() == 1
        assert await policy.is_blocked(node, "x.example")
        with pytest.raises(PolicyError):
            await domain_rules.save_rule(node, "a.test", "suspend", by="cli")  # its own domain
        with pytest.raises(PolicyError):
            await domain_rules.save_rule(node, "x.example", "banish", by="cli")


async def test_the_mode_switch_applies_at_once(node: Node) -> None:
    with node.ctx:
        await domain_rules.save_rule(node, "friends.example", "allow", by="cli")
        assert not await policy.is_blocked(node, "https://stranger.example/users/x")
        await modes.set_mode(node, "allowlist", by="cli")
        assert await policy.is_blocked(node, "https://stranger.example/users/x")
        assert not await policy.is_blocked(node, "https://friends.example/users/x")
        assert await policy.mode(node) == "allowlist" and await policy.authorized_fetch(node)
        assert (await SiteSetting.get(key=MODE_KEY)).value == {"mode": "allowlist"}
        with pytest.raises(PolicyError):
            await modes.set_mode(node, "closed", by="cli")


async def test_decisions_come_from_memory_until_the_generation_changes(node: Node) -> None:
    with node.ctx:
        await domain_rules.save_rule(node, "spam.example", "suspend", by="cli")
        assert await policy.is_blocked(node, "spam.example")
        # Another process removes the rule (the row goes, the generation changes), unseen for now:
        await DomainPolicy.filter(domain="spam.example").delete()
        assert await policy.is_blocked(node, "spam.example")  # served from memory, no reload
        await SiteSetting.filter(key=GENERATION_KEY).update(value=12345)
        assert await policy.is_blocked(node, "spam.example")  # still within CHECK_SECONDS
        node.extra["policy"].checked -= CHECK_SECONDS + 1
        assert not await policy.is_blocked(node, "spam.example")  # the new generation was seen
        # A write in this process is seen at once:
        await domain_rules.save_rule(node, "spam.example", "suspend", by="cli")
        assert await policy.is_blocked(node, "spam.example")


async def test_an_unchanged_generation_does_not_reload(node: Node) -> None:
    with node.ctx:
        await domain_rules.save_rule(node, "spam.example", "suspend", by="cli")
        first = await snapshot(node)
        node.extra["policy"].checked -= CHECK_SECONDS + 1
        assert await snapshot(node) is first  # one row compared, nothing reloaded


async def test_account_rules(node: Node) -> None:
    with node.ctx:
        row = await blocks.block_actor(node, "https://ok.example/users/troll", "silence", "rude", by="cli")
        assert await policy.is_silenced(node, "https://ok.example/users/troll")
        assert not await policy.is_blocked(node, "https://ok.example/users/troll")
        await blocks.block_actor(node, "https://ok.example/users/troll", "suspend", by="cli")
        assert await policy.is_blocked(node, "https://ok.example/users/troll")
        assert not await policy.is_blocked(node, "https://ok.example/users/friend")
        await blocks.unblock_actor(node, row.id, by="cli")
        assert not await policy.is_blocked(node, "https://ok.example/users/troll")
        for bad in ("ok.example", node.urls.actor("asso")):
            with pytest.raises(PolicyError):
                await blocks.block_actor(node, bad, by="cli")


async def test_public_rules_hide_private_comments_and_obfuscate(node: Node) -> None:
    with node.ctx:
        await domain_rules.save_rule(node, "hate.example", "suspend", public_comment="hate speech",
                                     private_comment="reported by Amina", by="cli")
        await domain_rules.save_rule(node, "secretbad.example", "silence", obfuscate=True, by="cli")
        await domain_rules.save_rule(node, "quiet.example", "noop", reject_reports=True, by="cli")
        await domain_rules.save_rule(node, "friend.example", "allow", by="cli")
        rules = await policy.public_rules(node)
        assert [r["severity"] for r in rules] == ["suspend", "silence"]
        assert rules[0] == {"domain": "hate.example", "digest": digest("hate.example"), "severity": "suspend",
                            "reject_media": False, "comment": "hate speech"}
        assert "secretbad" not in rules[1]["domain"] and "*" in rules[1]["domain"]
        assert "Amina" not in repr(rules)
        await modes.set_mode(node, "allowlist", by="cli")
        assert "friend.example" in [r["domain"] for r in await policy.public_rules(node)]


async def test_settings_override_the_config(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    with node.ctx:
        assert not await policy.authorized_fetch(node) and not await policy.limited_federation(node)
        await modes.set_flag(node, "authorized_fetch", True, by="cli")
        assert await policy.authorized_fetch(node)
        await modes.set_flag(node, "limited_federation", True, by="cli")
        assert await policy.limited_federation(node)
        with pytest.raises(PolicyError):
            await modes.set_flag(node, "everything", True, by="cli")
        assert [e.action for e in await AuditEntry.all().order_by("id")] == [
            "policy.authorized_fetch", "policy.limited_federation"]
