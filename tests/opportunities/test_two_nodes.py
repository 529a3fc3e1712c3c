"""Two nodes: an opportunity of a's association reaches b's network board (b's member follows it), a
member of b answers it from b with a direct reply, the poster's reply reaches them as a direct Note,
and when the poster closes it, it leaves b's board; a moderator's removal (a Delete) too."""

from __future__ import annotations

from federation import vocab
from node.core.models import Activity, Post
from node.opportunities import opportunities
from node.opportunities.answers import reply
from node.opportunities.models import Answer, Opportunity
from node.posts.content import Draft, create_post
from tests.conftest import Federation, client_for, member
from tests.helpers import follow_association
from tests.opportunities.common import Outbox, actor_of, outbox, post  # noqa: F401


async def test_an_opportunity_arrives_is_answered_from_the_other_node_and_leaves_when_closed(
        federation: Federation, outbox: Outbox) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await member(a, "alice")
    bob = await follow_association(federation, a, b)
    row = await post(a, "alice", title="Internship in a bakery", kind="internship", place_kind="there",
                     place_name="Dakar", text="Three months, from June.")
    await federation.settle()
    with a.ctx:
        [create] = await Activity.filter(outgoing=True, kind="Create", uri=f"{row.uri}#create")
    note = create.data["object"]
    assert note["type"] == "Note" and note["purpose"] == "offer" and note["opportunityKind"] == "internship"
    assert "Internship offer" in note["content"] and "Dakar" in note["content"] and "open until" in note["content"]
    async with client_for(b) as http:
        board = await http.get("/opportunities/network?kind=internship&place=there")
        assert "Internship in a bakery" in board.text
        assert "Internship in a bakery" not in (await http.get("/opportunities/network?kind=job")).text
    # bob answers from b: a direct reply to the opportunity, addressed to a's association
    with b.ctx:
        asso_a = vocab.id_of(note["attributedTo"])
        assert asso_a is not None
        await create_post(b, bob, Draft(text="I would like this internship.", visibility="direct",
                                        in_reply_to=row.uri, audience=(asso_a,)))
    await federation.settle()
    with a.ctx:
        answer = await Answer.get(opportunity_id=row.id)
        assert "I would like this internship." in answer.message and answer.email is None
        assert not await Post.filter(in_reply_to_uri=row.uri).exists()  # not shown as a public reply
        alice = await actor_of(a, "alice")
        await reply(a, row, answer, alice, "Send me your CV.", reveal=False)
    await federation.settle()
    with b.ctx:
        received = await Post.filter(content__contains="Send me your CV.").first()
    assert received is not None and received.visibility == "direct"
    assert "alice@example.org" not in received.content
    assert "alice@example.org" in "".join(m[0] for m in outbox.sent)  # the poster was emailed the answer
    with a.ctx:
        await opportunities.close(a, await Opportunity.get(id=row.id))
    await federation.settle()
    with b.ctx:
        assert not await Opportunity.filter(uri=row.uri).exists()
    async with client_for(b) as http:
        assert "Internship in a bakery" not in (await http.get("/opportunities/network")).text


async def test_a_removed_opportunity_is_deleted_from_the_network_board(federation: Federation) -> None:
    a = await federation.add_node("a.test")
    b = await federation.add_node("b.test")
    await follow_association(federation, a, b)
    row = await post(a, title="Mentor for engineers", kind="mentoring")
    await federation.settle()
    with b.ctx:
        assert await Opportunity.filter(uri=row.uri, local=False).exists()
    with a.ctx:
        await opportunities.remove(a, await Opportunity.get(id=row.id), None, "spam")
    await federation.settle()
    with b.ctx:
        assert not await Opportunity.filter(uri=row.uri).exists()
