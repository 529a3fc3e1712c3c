"""Guides as services and on the wire: revisions (every save, proposals, revert), the diff, the review
interval and its notification, and the guide Article reaching a follower's node (Create, Update with
the new revision, Delete) into its network section."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from node.core.models import Activity, Actor, Job, Notification
from node.core.multilingual import Translation
from node.core.runtime import Node
from node.guides import guides, review
from node.guides.diff import revision_diff
from node.guides.inputs import GuideError, GuideInput
from node.guides.models import Guide, GuideRevision
from node.guides.network import network_guides, store_guide
from node.guides.search import search_guides
from node.guides.wire import guide_document, is_guide
from node.accounts.actors import fetch_actor
from node.web.pages import association_actor
from tests.conftest import Federation, client_for, member
from tests.helpers import follow_association, logged_in

PAPERS = GuideInput(title="Renewing a residence permit", topic="residence", language="en",
                    source="Book an appointment **three months** before it ends.\n\nSee [[housing-without-guarantor]].",
                    translations=(Translation(language="fr", title="Renouveler son titre de séjour",
                                              text="Prenez rendez-vous **trois mois** avant la fin."),),
                    note="first version")


async def new_guide(node: Node, inp: GuideInput = PAPERS, author: str = "carla") -> tuple[Guide, Actor]:
    editor, _ = await member(node, author, "editor")
    with node.ctx:
        association = await association_actor(node)
        assert association is not None
        return await guides.create_guide(node, association, editor, inp), editor


async def test_a_guide_is_an_article_in_several_languages_with_its_links(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    guide, _ = await new_guide(a)
    with a.ctx:
        association = await association_actor(a)
        assert association is not None
        doc = guide_document(guide, association)
        created = await Activity.get(uri=f"{guide.uri}#create")
    assert doc["type"] == "Article" and doc["attributedTo"] == association.uri and is_guide(doc)
    assert doc["nameMap"] == {"en": "Renewing a residence permit", "fr": "Renouveler son titre de séjour"}
    assert list(doc["contentMap"]) == ["en", "fr"] and "<strong>trois mois</strong>" in doc["contentMap"]["fr"]
    assert doc["to"] == ["https://www.w3.org/ns/activitystreams#Public"] and doc["cc"] == [association.followers_url]
    assert doc["guideTopic"] == "residence" and doc["url"] == guide.uri
    # a link to a guide that does not exist yet is marked as missing, not linked
    assert "<em>housing-without-guarantor</em> (no such guide yet)" in guide.content
    assert created.data["type"] == "Create" and created.data["object"]["id"] == guide.uri

    housing = GuideInput(title="Renting without a guarantor", topic="housing", language="en",
                         source="Ask about Visale.", slug="housing-without-guarantor")
    linked, _ = await new_guide(a, housing, "dina")
    assert linked.slug == "housing-without-guarantor"
    with a.ctx:  # the guide that linked to it before it existed now links to it (an Update, no revision)
        guide = await Guide.get(id=guide.id)
        assert await Activity.filter(kind="Update").count() == 1 and len(await guides.history(guide)) == 1
    assert f'<a href="{linked.uri}" rel="nofollow noopener noreferrer">Renting without a guarantor</a>' in guide.content


async def test_every_save_is_a_revision_and_proposals_wait_for_an_editor(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    guide, editor = await new_guide(a)
    member_actor, _ = await member(a, "mona")
    with a.ctx:
        changed = GuideInput(**{**PAPERS.__dict__, "source": PAPERS.source + "\n\nBring two photos.", "note": "photos"})
        proposal = await guides.propose(guide, member_actor, changed)
        assert proposal.status == "pending"
        assert "photos" not in (await Guide.get(id=guide.id)).content  # nothing published yet
        assert await Activity.filter(kind="Update").count() == 0
        accepted = await guides.decide(a, proposal, editor, accept=True)
        assert accepted is not None and accepted.author_id == member_actor.id and accepted.decided_by
        guide = await Guide.get(id=guide.id)
        assert "Bring two photos." in guide.content and guide.updated is not None
        assert await Activity.filter(kind="Update").count() == 1
        try:
            await guides.decide(a, proposal, editor, accept=True)
        except GuideError as exc:
            assert "decided already" in str(exc)
        else:
            raise AssertionError("a proposal was decided twice")
        rejected = await guides.propose(guide, member_actor, GuideInput(**{**PAPERS.__dict__, "source": "Nonsense."}))
        await guides.decide(a, rejected, editor, accept=False)
        assert (await GuideRevision.get(id=rejected.id)).status == "rejected"
        history = await guides.history(guide)
        assert [r.note for r in history] == ["photos", "first version"]

        lines = revision_diff(history[1], history[0])
        english = next(d for d in lines if d.language == "en")
        assert [(line.kind, line.text) for line in english.lines if line.kind != "same"] == [
            ("added", ""), ("added", "Bring two photos.")]
        assert not next(d for d in lines if d.language == "fr").changed

        reverted = await guides.revert(a, guide, history[1], editor)
        assert reverted.note == "Reverted to revision 1"
        guide = await Guide.get(id=guide.id)
        assert "Bring two photos." not in guide.content and len(await guides.history(guide)) == 3


async def test_stale_guides_are_flagged_to_editors_once_per_period(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    guide, editor = await new_guide(a)
    plain, _ = await member(a, "mona")
    with a.ctx:
        now = datetime.now(timezone.utc)
        assert await review.flag_stale(now) == 0  # reviewed at creation
        later = now + timedelta(days=181)
        assert [g.id for g, _ in await review.stale_guides(later)] == [guide.id]
        assert await review.flag_stale(later) == 1
        assert await review.flag_stale(later + timedelta(days=1)) == 0  # once per staleness period
        notes = await Notification.filter(kind=review.KIND)
        assert [n.recipient_id for n in notes] == [editor.id] and notes[0].object_uri == guide.uri
        assert plain.id not in [n.recipient_id for n in notes]
        await Guide.filter(id=guide.id).update(review_days=400)
        assert await review.stale_guides(later) == []  # the guide's own interval
        await Guide.filter(id=guide.id).update(review_days=None, reviewed_at=later)
        await guides.mark_reviewed(await Guide.get(id=guide.id), editor)
        assert (await Guide.get(id=guide.id)).reviewed_by == "carla"
        await review.set_default_interval(10)
        assert await review.default_interval() == 10
        # the daily job: queued by the first guide, it runs the check and queues its next run
        [first] = await Job.filter(kind=review.REVIEW_JOB, status="queued")
        await review.job_handlers(a)[review.REVIEW_JOB]({}, 1)
        runs = await Job.filter(kind=review.REVIEW_JOB, status="queued").order_by("run_at")
        assert len(runs) == 2 and runs[1].run_at > first.run_at + timedelta(hours=20)
    async with logged_in(a, "erik", "editor") as http:  # an editor who signs in sees the flag
        with a.ctx:
            await Guide.filter(id=guide.id).update(reviewed_at=now - timedelta(days=30), stale_notified_at=None)
            assert await review.flag_stale(now) == 1
        page = await http.get("/notifications")
        assert "The guide Renewing a residence permit is due for review" in page.text


async def test_a_guide_and_its_revisions_reach_the_followers_network_section(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    guide, editor = await new_guide(a)
    await federation.settle()
    with b.ctx:
        received = await network_guides()
        assert [g.uri for g in received] == [guide.uri]
        assert received[0].title == "Renewing a residence permit" and received[0].topic == "residence"
        assert received[0].name_map and received[0].name_map["fr"] == "Renouveler son titre de séjour"
        assert [g.uri for g in await network_guides("trois mois")] == [guide.uri]  # searched in French too
        assert [h.link for h in await search_guides("titre de séjour", 10)] == [f"/guides/network/{received[0].id}"]
    with a.ctx:
        await guides.save_revision(a, guide, editor, GuideInput(**{**PAPERS.__dict__, "title": "Renewing your permit"}))
    await federation.settle()
    with b.ctx:
        assert [g.title for g in await network_guides()] == ["Renewing your permit"]
    async with client_for(b) as http:
        listed = await http.get("/guides/network", params={"q": "trois mois"})
        assert "Renewing your permit" in listed.text
        assert "Renewing your permit" not in (await http.get("/guides/network", params={"q": "nowhere"})).text
        shown = await http.get(f"/guides/network/{received[0].id}", params={"lang": "fr"})
        assert "Renouveler son titre de séjour" in shown.text and "<strong>trois mois</strong>" in shown.text
    with a.ctx:
        await guides.delete_guide(a, await Guide.get(id=guide.id))
    await federation.settle()
    with b.ctx:
        assert await network_guides() == []


async def test_only_guides_of_followed_associations_are_kept(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    guide, _ = await new_guide(a)  # b follows nobody on a
    await federation.settle()
    with a.ctx:
        association = await association_actor(a)
        assert association is not None
        doc = guide_document(guide, association)
    plain_article = {k: v for k, v in doc.items() if k != "guideTopic"}
    assert not is_guide(plain_article) and not is_guide({**doc, "type": "Note"})
    assert not is_guide({**doc, "guideTopic": "Not a topic!"})
    with b.ctx:
        sender = await fetch_actor(b, association.uri)
        assert await store_guide(b, sender, doc) is None  # not followed
        assert await network_guides() == []
