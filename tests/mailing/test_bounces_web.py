"""POST /mail/webhook through the app (secret, bad JSON, the generic, SES and Postmark shapes) and the
admin page /admin/bounces (guarded, lists, lifts, imports an upload)."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from node.core.models import AuditEntry
from node.core.runtime import Node
from node.mailing import suppression
from node.mailing.models import Subscriber, Suppression
from tests.conftest import client_for
from tests.helpers import csrf_of, logged_in

SECRET = "s3cret-of-the-relay"
GOOD = {"Authorization": f"Bearer {SECRET}"}


def with_mail(node: Node, **changes: Any) -> None:
    node.settings = dataclasses.replace(node.settings, mail=dataclasses.replace(node.settings.mail, **changes))


async def test_the_webhook_is_off_without_a_secret(node: Node) -> None:
    async with client_for(node) as http:
        response = await http.post("/mail/webhook", json={"events": []}, headers=GOOD)
    assert response.status_code == 404


async def test_a_bad_secret_is_401_and_records_nothing(node: Node) -> None:
    with_mail(node, webhook_secret=SECRET)
    body = {"events": [{"type": "complaint", "email": "a@example.org"}]}
    async with client_for(node) as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Token {SECRET}"},
                        {"Authorization": "Basic !!!"}, {"Authorization": f"Bearer {SECRET}x"}):
            response = await http.post("/mail/webhook", json=body, headers=headers)
            assert response.status_code == 401, headers
    with node.ctx:
        assert not await Suppression.exists()


async def test_bad_bodies_are_400_with_a_reason(node: Node) -> None:
    with_mail(node, webhook_secret=SECRET)
    cases = [
        (b"{not json", "not JSON"), (b"[1, 2]", "JSON object"), (b'{"events": 3}', "must be a list"),
        (b'{"events": [{"type": "open", "email": "a@example.org"}]}', '"type"'),
        (b'{"events": [{"type": "bounce", "email": "nobody"}]}', "not an email address"),
        (b'{"events": [{"type": "bounce", "email": "a@example.org", "hard": "yes"}]}', '"hard"'),
        (b'{"something": "else"}', "unknown format"), (b'{"Type": "Notification", "Message": "{oops"}', "not JSON"),
        ("\ufeff".encode() + b"\xff\xfe", "not JSON"), (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ]
    async with client_for(node) as http:
        for body, reason in cases:
            response = await http.post("/mail/webhook", content=body, headers=GOOD)
            assert response.status_code == 400, body
            assert reason in response.json()["error"], (body, response.json())
        response = await http.post("/mail/webhook", content=b'{"events": ["' + b"x" * 600_000 + b'"]}', headers=GOOD)
        assert response.status_code == 413
    with node.ctx:
        assert not await Suppression.exists()


async def test_generic_events_bounce_to_the_threshold_and_a_complaint_unsubscribes(node: Node) -> None:
    with_mail(node, webhook_secret=SECRET, bounce_threshold=3)
    with node.ctx:
        await Subscriber.create(email="annoyed@example.org", token="t" * 32, status="active")
    async with client_for(node) as http:
        for n in range(3):
            body = {"events": [{"type": "bounce", "email": "Gone@Example.org", "detail": "550 5.1.1", "id": f"e{n}"},
                               {"type": "bounce", "email": "full@example.org", "hard": False}]}
            response = await http.post("/mail/webhook", json=body, headers=GOOD)
            assert response.status_code == 202 and response.json()["accepted"] == 2
            with node.ctx:
                assert await suppression.blocked("gone@example.org") is (n == 2)
        again = {"events": [{"type": "bounce", "email": "gone@example.org", "id": "e2"}]}
        assert (await http.post("/mail/webhook", json=again, headers=GOOD)).status_code == 202
        complaint = {"events": [{"type": "complaint", "email": "annoyed@example.org", "detail": "abuse"}]}
        response = await http.post("/mail/webhook", json=complaint, headers=GOOD)
        assert response.status_code == 202 and response.json()["complaints"] == 1
    with node.ctx:
        assert (await Suppression.get(email="gone@example.org")).bounces == 3
        assert not await suppression.blocked("full@example.org")
        assert (await Subscriber.get(email="annoyed@example.org")).status == "unsubscribed"


def ses_bounce(kind: str, email: str) -> dict[str, object]:
    message = {"notificationType": "Bounce", "mail": {"messageId": "0100018c-aaaa", "destination": [email]},
               "bounce": {"bounceType": kind, "bounceSubType": "General", "feedbackId": "0100018c-bbbb",
                          "bouncedRecipients": [{"emailAddress": email, "action": "failed", "status": "5.1.1",
                                                 "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}
    return {"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:eu-west-1:1:ses",
            "Message": json.dumps(message)}


async def test_amazon_ses_through_sns_with_basic_auth(node: Node) -> None:
    with_mail(node, webhook_secret=SECRET, bounce_threshold=1)
    basic = {"Authorization": "Basic " + base64.b64encode(f"sns:{SECRET}".encode()).decode()}
    complaint = {"notificationType": "Complaint", "mail": {"messageId": "0100018c-cccc"},
                 "complaint": {"complaintFeedbackType": "abuse", "feedbackId": "f2",
                               "complainedRecipients": [{"emailAddress": "spam@example.org"}]}}
    async with client_for(node) as http:
        for body in (ses_bounce("Permanent", "gone@example.org"), ses_bounce("Transient", "later@example.org"),
                     {"Type": "Notification", "Message": json.dumps(complaint)},
                     {"Type": "SubscriptionConfirmation", "SubscribeURL": "https://sns.example/confirm"}):
            response = await http.post("/mail/webhook", content=json.dumps(body), headers=basic)
            assert response.status_code == 202, response.text
    with node.ctx:
        assert await suppression.blocked("gone@example.org")
        assert not await suppression.blocked("later@example.org")
        assert (await Suppression.get(email="spam@example.org")).reason == "complaint"


async def test_postmark_records(node: Node) -> None:
    with_mail(node, webhook_secret=SECRET, bounce_threshold=1)
    async with client_for(node) as http:
        for body in ({"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "ID": 42,
                      "Email": "gone@example.org", "Description": "The server was unable to deliver your message"},
                     {"RecordType": "Bounce", "Type": "SoftBounce", "ID": 43, "Email": "later@example.org"},
                     {"RecordType": "SpamComplaint", "Type": "SpamComplaint", "ID": 44, "Email": "spam@example.org"},
                     {"RecordType": "Delivery", "Recipient": "fine@example.org"}):
            assert (await http.post("/mail/webhook", json=body, headers=GOOD)).status_code == 202
    with node.ctx:
        assert await suppression.blocked("gone@example.org") and await suppression.blocked("spam@example.org")
        assert not await suppression.blocked("later@example.org")
        assert not await Suppression.filter(email="fine@example.org").exists()


async def test_admin_page_is_guarded(node: Node) -> None:
    async with client_for(node, follow_redirects=False) as http:
        response = await http.get("/admin/bounces")
        assert response.status_code in (302, 303) and "/login" in response.headers["location"]
    async with logged_in(node, "mia") as http:
        assert (await http.get("/admin/bounces")).status_code == 403
        assert (await http.post("/admin/bounces/lift", data={"email": "x@example.org"})).status_code in (400, 403)


async def test_admin_lists_lifts_and_imports(node: Node) -> None:
    with node.ctx:
        await suppression.record_complaint(node, "spam@example.org", "abuse Yahoo")
        await suppression.record_bounce(node, "once@example.org", "550 5.1.1 unknown")
    async with logged_in(node, "root", "admin") as http:
        page = (await http.get("/admin/bounces")).text
        assert "spam@example.org" in page and "once@example.org" in page and "abuse Yahoo" in page
        token = await csrf_of(http, "/admin/bounces")
        response = await http.post("/admin/bounces/lift", data={"csrf": token, "email": "spam@example.org"})
        assert response.status_code == 303
        page = (await http.get("/admin/bounces")).text
        assert "spam@example.org receives mail again" in page and "abuse Yahoo" not in page
        listing = b"email,type,detail\nimported@example.org,bounce,old provider\nangry@example.org,complaint,\nnot an address\n"
        response = await http.post("/admin/bounces/import", data={"csrf": token, "block": "1"},
                                   files={"file": ("bounces.csv", listing, "text/csv")})
        assert response.status_code == 303
        page = (await http.get("/admin/bounces")).text
        assert "Imported 1 bounces" in page and "1 lines skipped" in page
        response = await http.post("/admin/bounces/import", data={"csrf": token, "text": ""})
        assert response.status_code == 303
        assert "Nothing was imported" in (await http.get("/admin/bounces")).text
        many = "".join(f"n{i}@example.org\n" for i in range(5002))
        response = await http.post("/admin/bounces/import", data={"csrf": token, "text": many})
        assert "more than 5000 lines" in (await http.get(response.headers["location"])).text
        response = await http.post("/admin/bounces/lift", data={"csrf": token, "email": "never@example.org"})
        assert "No suppression for never@example.org" in (await http.get(response.headers["location"])).text
    with node.ctx:
        assert await suppression.blocked("imported@example.org") and await suppression.blocked("angry@example.org")
        assert not await Suppression.filter(email="spam@example.org").exists()
        assert not await Suppression.filter(email="n0@example.org").exists()
        assert await AuditEntry.filter(action="bounces.lift", target="spam@example.org").exists()
        assert await AuditEntry.filter(action="bounces.import").exists()
