"""The association's initiatives: community projects with needs, pledges, a transparency ledger and
support. What the organizer does here: create, publish, update, status changes, ledger entries,
progress posts and deletion -> rows + activities (an `Article` with Agora's extension terms, see
federation/initiatives.py and FEDERATION.md). Beside it: inputs.py (the input and its rules),
rows.py (input -> columns), documents.py (the wire form), pledges.py (needs and pledges), ledger.py,
support.py, transfer.py (JSON export and import).

An initiative may be written in several languages (`translations`: title, summary and story per
language) and kept as a draft (not federated, not listed, no pledges or support) until
`publish_initiative`."""

from __future__ import annotations

from datetime import date

from tortoise.transactions import in_transaction

from federation import initiatives as wire
from node.core.models import Actor, Post
from node.core.runtime import Node
from node.initiatives.documents import send
from node.initiatives.inputs import (
    MAX_LEDGER, TRANSITIONS, InitiativeError, InitiativeInput, check_editable, check_published, validate,
)
from node.initiatives.ledger import ledger_values
from node.initiatives.models import Initiative, LedgerEntry
from node.initiatives.pledges import replace_needs
from node.initiatives.rows import create_row, initiative_values, prepared, stamp, utcnow
from node.posts.content import MAX_SOURCE, ContentError, Draft, create_post
from node.posts.publishable import delete_published, organizer_of, save_edit


def checked(node: Node, inp: InitiativeInput, keep: Initiative | None = None) -> InitiativeInput:
    """The input as it would be saved (see prepared), validated (InitiativeError)."""
    inp = prepared(node, inp, keep)
    validate(inp)
    return inp


async def create_initiative(node: Node, organizer: Actor, inp: InitiativeInput) -> Initiative:
    """A new initiative, `proposed`, federated as a `Create` of its Article (a draft is only stored)."""
    inp = prepared(node, inp)
    validate(inp)
    if not organizer.local:
        raise InitiativeError("organizer: must be an account of this node")
    async with in_transaction():
        initiative = await create_row(node, organizer, inp)
        if not inp.draft:
            await send(node, initiative, "Create")
    return initiative


async def publish_initiative(node: Node, initiative: Initiative) -> Initiative:
    """A draft goes out, dated now (its status history too, when it holds only the first status)."""
    check_editable(initiative)
    if not initiative.draft:
        return initiative
    now = utcnow()
    async with in_transaction():
        initiative.draft = False
        initiative.published = now
        initiative.updated = None
        if len(initiative.status_history or []) <= 1:
            initiative.status_history = [stamp(initiative.status, now)]
        await initiative.save(update_fields=["draft", "published", "updated", "status_history"])
        await send(node, initiative, "Create")
    return initiative


async def update_initiative(node: Node, initiative: Initiative, inp: InitiativeInput) -> Initiative:
    """Replace what the organizer edits (the status has its own lifecycle), federated as `Update` (a
    draft sends nothing). All languages are replaced by the input's, or kept when it gives none."""
    inp = prepared(node, inp, keep=initiative)
    validate(inp)
    check_editable(initiative)
    async with in_transaction():
        await replace_needs(initiative, inp.needs)
        if await save_edit(initiative, initiative_values(node, inp)) is not None:
            await send(node, initiative, "Update")
    return initiative


async def set_status(node: Node, initiative: Initiative, status: str) -> Initiative:
    """Move through the lifecycle (TRANSITIONS); each change is dated in the history and federated."""
    check_editable(initiative)
    if status not in wire.STATUSES:
        raise InitiativeError(f"status: must be one of {', '.join(wire.STATUSES)}")
    allowed = TRANSITIONS.get(initiative.status, set())
    if status not in allowed:
        choices = ", ".join(sorted(allowed)) or "none, it is final"
        raise InitiativeError(f"status: an initiative that is {initiative.status} cannot become {status} (possible: {choices})")
    now = utcnow()
    async with in_transaction():
        initiative.status = status
        initiative.status_history = [*(initiative.status_history or []), stamp(status, now)]
        initiative.updated = now
        await initiative.save(update_fields=["status", "status_history", "updated"])
        await send(node, initiative, "Update")
    return initiative


async def delete_initiative(node: Node, initiative: Initiative) -> None:
    """Gone: a Tombstone (410) where it was, and a `Delete` to the followers."""
    await delete_published(node, initiative, "Article")


async def add_ledger_entry(node: Node, initiative: Initiative, *, direction: str, nature: str, description: str,
                           occurred_on: date, amount: str | None = None, currency: str | None = None,
                           receipt_url: str | None = None) -> LedgerEntry:
    """One line of the transparency ledger; the new totals federate as an `Update`."""
    check_editable(initiative)
    values = ledger_values(direction, nature, description, occurred_on, amount, currency, receipt_url)
    if await LedgerEntry.filter(initiative=initiative).count() >= MAX_LEDGER:
        raise InitiativeError(f"ledger: at most {MAX_LEDGER} entries")
    async with in_transaction():
        entry = await LedgerEntry.create(initiative=initiative, **values)
        initiative.updated = utcnow()
        await initiative.save(update_fields=["updated"])
        await send(node, initiative, "Update")
    return entry


async def post_progress(node: Node, initiative: Initiative, text: str) -> Post:
    """A progress update: a public Note by the organizer, in reply to and in the `context` of the
    initiative, so followers see it in their timeline and the initiative page tells the story."""
    check_editable(initiative)
    check_published(initiative, "post updates")
    if not text.strip():
        raise InitiativeError("text: the update is empty")
    if len(text) > MAX_SOURCE:
        raise InitiativeError(f"text: longer than {MAX_SOURCE} characters")
    organizer = await organizer_of(initiative)
    draft = Draft(text=text, language=initiative.language, visibility="public", in_reply_to=initiative.uri,
                  context=initiative.uri)
    try:
        post = await create_post(node, organizer, draft)
    except ContentError as exc:
        raise InitiativeError(f"text: {exc}") from None
    return post


async def progress_posts(initiative: Initiative) -> list[Post]:
    """The initiative's story: its organizer's updates, oldest first."""
    return await Post.filter(in_reply_to_uri=initiative.uri, author_id=initiative.organizer_id,
                             deleted_at=None).order_by("published")
