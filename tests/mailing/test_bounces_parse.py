"""Reading bounces and complaints out of mail (node/mailing/bounces.py) over realistic samples
(tests/mailing/bounce_samples/), and arbitrary bytes never raising."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from node.mailing.bounces import MAX_BYTES, Event, classify, parse_bytes
from node.mailing.bounces_webhook import WebhookError, events_of

SAMPLES = Path(__file__).parent / "bounce_samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.mark.parametrize(("name", "fmt", "email", "hard"), [
    ("postfix_dsn.eml", "dsn", "nobody@example.org", True),
    ("gmail_dsn.eml", "dsn", "no.such.person@gmail.com", True),
    ("soft_mailbox_full.eml", "dsn", "full@example.com", False),
    ("exim.eml", "text", "gone@example.net", True),
    ("qmail.eml", "text", "olduser@oldhost.example", True),
])
def test_bounce_samples_name_the_recipient_and_how_hard(name: str, fmt: str, email: str, hard: bool) -> None:
    report = parse_bytes(sample(name))
    assert report.format == fmt
    assert [(e.kind, e.email, e.hard) for e in report.events] == [("bounce", email, hard)]
    assert report.ref.startswith("<") and report.ref.endswith(">")  # the report's own Message-ID


def test_dsn_detail_and_the_list_token_of_the_returned_headers() -> None:
    [event] = parse_bytes(sample("postfix_dsn.eml")).events
    assert event.detail.startswith("5.1.1") and "User unknown" in event.detail
    assert event.token == "Zk3xQ9vT2mYbL8rW1pNc"


def test_exim_detail_is_the_smtp_reply_and_the_copied_message_is_not_read() -> None:
    [event] = parse_bytes(sample("exim.eml")).events
    # the quoted original says "550 people@example.com": below the cut, so not a second recipient
    assert event.detail == "550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown"


def test_yahoo_arf_is_a_complaint_about_the_original_recipient() -> None:
    report = parse_bytes(sample("yahoo_arf.eml"))
    assert report.format == "arf"
    assert report.events == (Event("complaint", "annoyed@yahoo.com", True, "abuse Yahoo!-Mail-Feedback/2.0",
                                   "Q7mP2xY9kL4vN8rT3wBz"),)


def test_arf_without_original_rcpt_to_uses_the_embedded_to() -> None:
    data = sample("yahoo_arf.eml").replace(b"Original-Rcpt-To: <annoyed@yahoo.com>\n", b"")
    [event] = parse_bytes(data).events
    assert (event.kind, event.email) == ("complaint", "annoyed@yahoo.com")


def test_arf_not_spam_is_no_complaint() -> None:
    data = sample("yahoo_arf.eml").replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam")
    assert parse_bytes(data).events == ()


def test_dsn_of_several_recipients_delivered_ones_ignored() -> None:
    data = sample("postfix_dsn.eml").replace(
        b"Final-Recipient: rfc822; nobody@example.org",
        b"Final-Recipient: rfc822; fine@example.org\nAction: delivered\nStatus: 2.0.0\n\n"
        b"Final-Recipient: rfc822; later@example.org\nAction: delayed\nStatus: 4.4.1\n\n"
        b"Final-Recipient: rfc822; nobody@example.org")
    events = parse_bytes(data).events
    assert [(e.email, e.hard) for e in events] == [("later@example.org", False), ("nobody@example.org", True)]


@pytest.mark.parametrize(("status", "action", "diagnostic", "expected"), [
    ("5.1.1", "failed", "", True), ("4.4.7", "failed", "", False), ("4.2.2", "delayed", "", False),
    ("5.2.2", "failed", "smtp; 552 5.2.2 Mailbox full", False), ("2.0.0", "delivered", "", None),
    ("", "failed", "smtp; 550 no such user", True), ("", "failed", "smtp; 421 try later", False),
    ("", "delayed", "", False), ("", "relayed", "", None), ("", "failed", "", True),
])
def test_classify(status: str, action: str, diagnostic: str, expected: bool | None) -> None:
    assert classify(status, action, diagnostic) is expected


def test_ordinary_mail_and_auto_replies_are_no_bounce() -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "friend@example.org", "bounces@asso.example", "Out of office"
    message.set_content("I am away until Monday; write to 550 other@example.org meanwhile.")
    report = parse_bytes(message.as_bytes())
    assert (report.events, report.format) == ((), "none")


def test_oversized_messages_are_not_parsed() -> None:
    data = sample("postfix_dsn.eml") + b"x" * (MAX_BYTES + 1)
    report = parse_bytes(data)
    assert report.events == () and report.ref.startswith("sha256:")


def test_a_report_without_message_id_is_named_by_its_digest() -> None:
    data = sample("exim.eml").replace(b"Message-Id: <E1tHx2A-000abc-Qz@smtp.asso.example>\n", b"")
    assert parse_bytes(data).ref.startswith("sha256:")
    assert parse_bytes(data).ref == parse_bytes(data).ref


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    report = parse_bytes(data)
    assert all(e.kind in ("bounce", "complaint") for e in report.events)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["postfix_dsn.eml", "yahoo_arf.eml", "exim.eml", "gmail_dsn.eml"]))
def test_samples_with_garbage_spliced_in_never_raise(junk: bytes, name: str) -> None:
    data = sample(name)
    cut = len(junk) * 7 % max(1, len(data))
    parse_bytes(data[:cut] + junk + data[cut:])


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["events", "type", "email", "hard", "id", "Type", "Message", "RecordType",
                                         "Email", "notificationType", "bounce", "bouncedRecipients", "emailAddress",
                                         "complaint", "complainedRecipients", "mail", "x"]), inner, max_size=5),
                    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_webhook_bodies_are_read_or_refused_never_crash(body: object) -> None:
    try:
        items = events_of(body)
    except WebhookError:
        return
    assert all(event.email and event.kind in ("bounce", "complaint") for event, _ in items)


def test_a_forwarded_recipient_bounces_under_the_address_we_sent_to() -> None:
    data = sample("postfix_dsn.eml").replace(b"Final-Recipient: rfc822; nobody@example.org",
                                             b"Final-Recipient: rfc822; real.box@elsewhere.example")
    data = data.replace(b"Original-Recipient: rfc822;nobody@example.org", b"Original-Recipient: rfc822;alias@example.org")
    [event] = parse_bytes(data).events
    assert event.email == "alias@example.org"


def test_deeply_nested_parts_are_refused_before_parsing() -> None:
    nested = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(3000))
    assert parse_bytes(nested).events == ()


def test_a_long_returned_message_is_cut_and_the_report_still_read() -> None:
    data = sample("gmail_dsn.eml").replace(b"Please confirm your subscription.", b"long line\n" * 100_000)
    assert [e.email for e in parse_bytes(data).events] == ["no.such.person@gmail.com"]
