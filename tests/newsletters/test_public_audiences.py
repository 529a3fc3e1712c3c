"""The public /mailings pages show only what anyone could have received: a mailing sent to the members
is for signed-in members, one sent to an event's participants or an initiative's supporters is never on
the site."""

from __future__ import annotations

from node.newsletters.models import Mailing
from tests.conftest import Federation, client_for
from tests.helpers import logged_in
from tests.newsletters.common import mailing


async def test_members_and_participants_mailings_are_not_public(federation: Federation) -> None:
    node = await federation.add_node("a.test")
    public = await mailing(node, subject="Open letter", audience="subscribers")
    internal = await mailing(node, subject="Board minutes for members", audience="members")
    guests = await mailing(node, subject="Door code for participants", audience="subscribers")
    with node.ctx:
        await Mailing.filter(id__in=[public.id, internal.id, guests.id]).update(status="sent")
        await Mailing.filter(id=guests.id).update(audience="event", target_id=1)
    async with client_for(node) as visitor:
        listing = (await visitor.get("/mailings")).text
        assert "Open letter" in listing
        assert "Board minutes" not in listing and "Door code" not in listing
        assert (await visitor.get(f"/mailings/{public.slug}")).status_code == 200
        assert (await visitor.get(f"/mailings/{internal.slug}")).status_code == 404
        assert (await visitor.get(f"/mailings/{guests.slug}")).status_code == 404
    async with logged_in(node, "mia") as member:
        listing = (await member.get("/mailings")).text
        assert "Board minutes" in listing and "Door code" not in listing
        assert (await member.get(f"/mailings/{internal.slug}")).status_code == 200
        assert (await member.get(f"/mailings/{guests.slug}")).status_code == 404
