"""The association's initiatives: community projects with needs, pledges, a transparency ledger and
support. Create, update, status changes, ledger entries and deletion -> rows + activities (an
`Article` with Agora's extension terms, see federation/initiatives.py and FEDERATION.md).

An initiative may be written in several languages (`translations`: title, summary and story per
language) and kept as a draft (not federated, not listed, no pledges or support) until
`publish_initiative`."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import initiatives as wire
from federation import vocab
from federation.events import Place
from node.posts.content import MAX_SOURCE, ContentError, Draft, create_post, new_slug, render
from node.social.delivery import publish
from node.core.models import Actor, Post
from node.initiatives.models import Initiative, LedgerEntry, Need, Pledge, Support
from node.core.multilingual import Translation, check_translations, normalize_tag, ordered, others
from node.core.runtime import Node

FORMAT_VERSION = 1
MAX_TITLE = 300
MAX_SUMMARY = 2_000
MAX_NEEDS = 50
MAX_TAGS = 50
MAX_RESPONSIBLE = 50
MAX_SKILLS = 30
MAX_QUANTITY = 1_000_000
MAX_UNITS = 10**11  # 100 billion units of any currency: anything above is a typing mistake
MAX_MINOR = 10**14
MAX_LEDGER = 10_000
NEED_KINDS = ("volunteers", "materials", "money")
DIRECTIONS = ("received", "spent")
NATURES = ("money", "in_kind")
OPEN_STATUSES = ("proposed", "active")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
CURRENCY = re.compile(r"[A-Z]{3}")

TRANSITIONS: dict[str, set[str]] = {
    "proposed": {"active", "abandoned"},
    "active": {"achieved", "closed", "abandoned"},
    "achieved": {"closed"},
    "closed": set(),
    "abandoned": set(),
}


class InitiativeError(ValueError):
    """An initiative, pledge or ledger entry that cannot be accepted as given; the message names the
    field and the reason ("needs[2].goal: not a number")."""


@dataclass(frozen=True)
class NeedInput:
    kind: str
    title: str
    description: str = ""
    skills: tuple[str, ...] = ()
    quantity: int | None = None
    goal: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class InitiativeInput:
    title: str
    kind: str
    summary: str = ""
    description: str = ""
    place_there: Place | None = None
    place_here: Place | None = None
    cover_url: str | None = None
    cover_alt: str = ""
    cover_media_type: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    needs: tuple[NeedInput, ...] = ()
    supporters_public: bool = True
    translations: tuple[Translation, ...] | None = None  # None: an edit keeps the other languages
    draft: bool = False


# ------------------------------------------------------------------ money


def _money(value: Any, currency: Any, field: str) -> wire.Money:
    """A positive amount in a currency, or InitiativeError naming `field`."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise InitiativeError(f"{field}: not a number")
    text = str(value).strip().replace(",", ".") if isinstance(value, str) else str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InitiativeError(f"{field}: not a number") from None
    if not number.is_finite():
        raise InitiativeError(f"{field}: not a number")
    if number <= 0:
        raise InitiativeError(f"{field}: must be more than zero")
    if number > MAX_UNITS:
        raise InitiativeError(f"{field}: {text} is an absurd amount (at most {MAX_UNITS:,})")
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency.strip().upper()):
        raise InitiativeError(f"{field}: needs a currency (three letters, e.g. EUR)")
    try:
        money = wire.parse_money(text, currency.strip().upper())
    except (vocab.VocabError, ValueError) as exc:
        raise InitiativeError(f"{field}: {exc}") from None
    if money.minor <= 0:
        raise InitiativeError(f"{field}: must be more than zero")
    if money.minor > MAX_MINOR:
        raise InitiativeError(f"{field}: {text} {money.currency} is an absurd amount")
    return money


def amount_text(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string ("1250.50"), the form the JSON export uses."""
    return wire.money_amount(wire.Money(minor, currency))


# ------------------------------------------------------------------ validation


def _check_url(value: str | None, field: str) -> None:
    if value is not None and not vocab.is_http_url(value):
        raise InitiativeError(f"{field}: must be an http(s) address")


def _check_place(place: Place | None, field: str) -> None:
    if place is None:
        return
    if not (place.name or place.locality or place.country).strip():
        raise InitiativeError(f"{field}: give at least a name, a locality or a country")
    if place.latitude is not None and not -90 <= place.latitude <= 90:
        raise InitiativeError(f"{field}.latitude: must be between -90 and 90")
    if place.longitude is not None and not -180 <= place.longitude <= 180:
        raise InitiativeError(f"{field}.longitude: must be between -180 and 180")


def _check_quantity(value: Any, field: str, required: bool) -> int | None:
    if value is None:
        if required:
            raise InitiativeError(f"{field}: required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InitiativeError(f"{field}: not a whole number")
    if not 0 < value <= MAX_QUANTITY:
        raise InitiativeError(f"{field}: must be between 1 and {MAX_QUANTITY}")
    return value


def _check_need(need: NeedInput, i: int) -> None:
    field = f"needs[{i}]"
    if need.kind not in NEED_KINDS:
        raise InitiativeError(f"{field}.kind: must be one of {', '.join(NEED_KINDS)}")
    if not need.title.strip():
        raise InitiativeError(f"{field}.title: required")
    if len(need.title) > MAX_TITLE:
        raise InitiativeError(f"{field}.title: longer than {MAX_TITLE} characters")
    if len(need.description) > MAX_SOURCE:
        raise InitiativeError(f"{field}.description: longer than {MAX_SOURCE} characters")
    if len(need.skills) > MAX_SKILLS or any(not s.strip() or len(s) > 100 for s in need.skills):
        raise InitiativeError(f"{field}.skills: at most {MAX_SKILLS}, each 1 to 100 characters")
    if need.kind == "money":
        if need.quantity is not None:
            raise InitiativeError(f"{field}.quantity: a money need has a goal, not a quantity")
        if need.goal is None:
            raise InitiativeError(f"{field}.goal: required for a money need")
        _money(need.goal, need.currency, f"{field}.goal")
    else:
        if need.goal is not None or need.currency is not None:
            raise InitiativeError(f"{field}.goal: only money needs have a goal")
        _check_quantity(need.quantity, f"{field}.quantity", required=False)


def validate(inp: InitiativeInput) -> None:
    if not inp.title.strip():
        raise InitiativeError("title: required")
    if len(inp.title) > MAX_TITLE:
        raise InitiativeError(f"title: longer than {MAX_TITLE} characters")
    if inp.kind not in wire.KINDS:
        raise InitiativeError(f"kind: must be one of {', '.join(wire.KINDS)}")
    if len(inp.summary) > MAX_SUMMARY:
        raise InitiativeError(f"summary: longer than {MAX_SUMMARY} characters")
    if len(inp.description) > MAX_SOURCE:
        raise InitiativeError(f"description: longer than {MAX_SOURCE} characters")
    _check_place(inp.place_there, "place_there")
    _check_place(inp.place_here, "place_here")
    _check_url(inp.cover_url, "cover_url")
    if len(inp.cover_alt) > 1000:
        raise InitiativeError("cover_alt: longer than 1000 characters")
    if inp.cover_media_type is not None and not re.fullmatch(r"image/[a-z0-9.+-]{1,50}", inp.cover_media_type):
        raise InitiativeError("cover_media_type: must be an image type such as image/jpeg")
    if inp.language is not None and not LANGUAGE.fullmatch(inp.language):
        raise InitiativeError(f"language: not a language tag: {inp.language!r}")
    if len(inp.tags) > MAX_TAGS or any(not t.strip("# ") or len(t) > 100 for t in inp.tags):
        raise InitiativeError(f"tags: at most {MAX_TAGS}, each 1 to 100 characters")
    if len(inp.responsible) > MAX_RESPONSIBLE or any(not r.strip() or len(r) > 500 for r in inp.responsible):
        raise InitiativeError(f"responsible: at most {MAX_RESPONSIBLE}, each 1 to 500 characters")
    if inp.translations:
        check_translations(normalize_tag(inp.language or ""), inp.translations, InitiativeError)
        for item in inp.translations:
            where = f"translations ({item.language})"
            if item.is_blank():
                raise InitiativeError(f"{where}: empty; give a title, a summary or a story")
            if len(item.title) > MAX_TITLE:
                raise InitiativeError(f"{where}.title: longer than {MAX_TITLE} characters")
            if len(item.summary) > MAX_SUMMARY:
                raise InitiativeError(f"{where}.summary: longer than {MAX_SUMMARY} characters")
            if len(item.text) > MAX_SOURCE:
                raise InitiativeError(f"{where}.description: longer than {MAX_SOURCE} characters")
    if len(inp.needs) > MAX_NEEDS:
        raise InitiativeError(f"needs: at most {MAX_NEEDS}")
    for i, need in enumerate(inp.needs):
        _check_need(need, i)


# ------------------------------------------------------------------ documents


def _place(value: Mapping[str, Any] | None) -> Place | None:
    if not value:
        return None
    names = {f.name for f in dataclasses.fields(Place)}
    return Place(**{k: v for k, v in value.items() if k in names})


def _history(initiative: Initiative) -> tuple[tuple[str, datetime], ...]:
    out: list[tuple[str, datetime]] = []
    for item in initiative.status_history or []:
        at = vocab.parse_datetime(item.get("at")) if isinstance(item, Mapping) else None
        if at is not None and item.get("status") in wire.STATUSES:
            out.append((item["status"], at))
    return tuple(out)


async def _organizer(initiative: Initiative) -> Actor:
    return await Actor.get(id=initiative.organizer_id)  # type: ignore[attr-defined]


async def need_progress(need: Need) -> tuple[int, int | None]:
    """(pledged quantity, or pledged minor units for money; the goal: quantity or goal in minor units)."""
    goal = need.goal_minor if need.kind == "money" else need.quantity
    initiative = await Initiative.get(id=need.initiative_id)  # type: ignore[attr-defined]
    if not initiative.local:  # as the organizer's node last told us
        remote = (initiative.data or {}).get("_agora_needs") or []
        entry = remote[need.position] if need.position < len(remote) else {}
        return int(entry.get("pledged", 0) or 0), goal
    pledges = await Pledge.filter(need=need).values_list("quantity", "amount_minor")
    if need.kind == "money":
        return sum(a or 0 for _, a in pledges), goal
    return sum(q or 0 for q, _ in pledges), goal


async def _need_data(need: Need) -> wire.NeedData:
    pledged, _ = await need_progress(need)
    goal = wire.Money(need.goal_minor, need.currency) if need.kind == "money" and need.goal_minor is not None and need.currency else None
    return wire.NeedData(
        kind=cast(wire.NeedKind, need.kind), title=need.title, description=need.description, skills=tuple(need.skills or ()),
        quantity=need.quantity, goal=goal, pledged_quantity=0 if need.kind == "money" else pledged,
        pledged=wire.Money(pledged, need.currency) if goal is not None and need.currency else None,
    )


async def ledger_totals(initiative: Initiative) -> list[wire.CurrencyTotal]:
    """Received and spent per currency, summed from the entries (never mixed across currencies). A
    network initiative has no entries here: its totals are the ones its node published."""
    if not initiative.local:
        return [wire.CurrencyTotal(c, int(t.get("received_minor", 0)), int(t.get("spent_minor", 0)))
                for c, t in sorted((initiative.totals or {}).items()) if isinstance(t, Mapping)]
    sums: dict[str, list[int]] = {}
    rows = await LedgerEntry.filter(initiative=initiative, nature="money").values_list("currency", "direction", "amount_minor")
    for currency, direction, amount in rows:
        if not currency or amount is None:
            continue
        pair = sums.setdefault(currency, [0, 0])
        pair[0 if direction == "received" else 1] += amount
    return [wire.CurrencyTotal(c, r, s) for c, (r, s) in sorted(sums.items())]


def _addressing(organizer: Actor) -> tuple[list[str], list[str]]:
    return vocab.addressing("public", organizer.followers_url or "")


async def initiative_data(node: Node, initiative: Initiative) -> wire.InitiativeData:
    organizer = await _organizer(initiative)
    needs = await Need.filter(initiative=initiative).order_by("position", "id")
    to, cc = _addressing(organizer)
    return wire.InitiativeData(
        id=initiative.uri, url=initiative.url or initiative.uri, title=initiative.title,
        summary=initiative.summary, content_html=initiative.content, kind=initiative.kind,
        status=initiative.status, status_history=_history(initiative),
        place_there=_place(initiative.place_there), place_here=_place(initiative.place_here),
        cover_url=initiative.cover_url, cover_alt=initiative.cover_alt, cover_media_type=initiative.cover_media_type,
        language=initiative.language, tags=tuple(initiative.tags or ()), responsible=tuple(initiative.responsible or ()),
        needs=tuple([await _need_data(n) for n in needs]), totals=tuple(await ledger_totals(initiative)),
        support_count=initiative.support_count, organizer=organizer.uri, published=initiative.published,
        updated=initiative.updated, to=tuple(to), cc=tuple(cc),
        name_map=others(initiative.language, initiative.name_map),
        summary_map=others(initiative.language, initiative.summary_map),
        content_map=others(initiative.language, initiative.content_map),
    )


def translations_of(initiative: Initiative) -> tuple[Translation, ...]:
    """An initiative's other languages as written (Markdown stories), for its edit form and export."""
    names = others(initiative.language, initiative.name_map)
    summaries = others(initiative.language, initiative.summary_map)
    sources = others(initiative.language, initiative.source_map)
    return tuple(Translation(language=tag, title=names.get(tag, ""), summary=summaries.get(tag, ""), text=sources.get(tag, ""))
                 for tag in dict.fromkeys([*names, *summaries, *sources]))


def checked(node: Node, inp: InitiativeInput, keep: Initiative | None = None) -> InitiativeInput:
    """The input as it would be saved (see _prepared), validated (InitiativeError)."""
    inp = _prepared(node, inp, keep)
    validate(inp)
    return inp


def _prepared(node: Node, inp: InitiativeInput, keep: Initiative | None = None) -> InitiativeInput:
    """The input with its language settled and its translations (kept ones for an edit giving none)
    without blanks or the default language."""
    language = normalize_tag(inp.language or (keep.language if keep else None) or node.settings.association.language)
    translations = inp.translations
    if translations is None and keep is not None:
        translations = translations_of(keep)
    if translations is not None:
        translations = tuple(t for t in translations if not t.is_blank() and normalize_tag(t.language) != language)
    return dataclasses.replace(inp, language=language, translations=translations)


async def initiative_doc(node: Node, initiative: Initiative) -> dict[str, Any]:
    return wire.initiative_document(await initiative_data(node, initiative), locale=initiative.language)


async def _send(node: Node, initiative: Initiative, kind: str) -> None:
    if initiative.draft:  # nothing leaves the node before publish_initiative
        return
    organizer = await _organizer(initiative)
    doc = await initiative_doc(node, initiative)
    context = doc.pop("@context", None)
    suffix = "create" if kind == "Create" else f"updates/{int(datetime.now(timezone.utc).timestamp() * 1000)}-{secrets.token_hex(3)}"
    activity = vocab.activity(kind, f"{initiative.uri}#{suffix}", organizer.uri, doc, to=doc.get("to"), cc=doc.get("cc"))
    if context is not None:
        activity["@context"] = context
    await publish(node, organizer, activity)


# ------------------------------------------------------------------ publishing


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _values(node: Node, inp: InitiativeInput) -> dict[str, Any]:
    html, found = render(node.urls, inp.description, {}) if inp.description.strip() else ("", [])
    language = normalize_tag(inp.language or node.settings.association.language)
    names: dict[str, str] = {}
    summaries: dict[str, str] = {}
    contents: dict[str, str] = {}
    sources: dict[str, str] = {}
    for item in inp.translations or ():
        tag = normalize_tag(item.language)
        if item.title.strip():
            names[tag] = item.title.strip()
        if item.summary.strip():
            summaries[tag] = item.summary.strip()
        if item.text.strip():
            contents[tag], more = render(node.urls, item.text, {})
            sources[tag] = item.text
            found += more
    tags = [t.lstrip("#").strip().lower() for t in inp.tags] + [t["name"].lstrip("#") for t in found if t["type"] == "Hashtag"]
    values: dict[str, Any] = {
        "title": inp.title.strip(), "summary": inp.summary.strip(), "source": inp.description, "content": html,
        "kind": inp.kind, "place_there": dataclasses.asdict(inp.place_there) if inp.place_there else None,
        "place_here": dataclasses.asdict(inp.place_here) if inp.place_here else None,
        "cover_url": inp.cover_url, "cover_alt": inp.cover_alt, "cover_media_type": inp.cover_media_type,
        "language": language,
        "tags": list(dict.fromkeys(tags))[:MAX_TAGS], "responsible": [r.strip() for r in inp.responsible],
        "supporters_public": inp.supporters_public,
    }
    if inp.translations is not None:
        several = bool(names or summaries or contents)
        values["name_map"] = ordered(language, values["title"], names) if several else None
        values["summary_map"] = ordered(language, values["summary"], summaries) if several else None
        values["content_map"] = ordered(language, html, contents) if several else None
        values["source_map"] = ordered(language, inp.description, sources) if several else None
    return values


def _need_values(need: NeedInput, position: int) -> dict[str, Any]:
    money = _money(need.goal, need.currency, "goal") if need.kind == "money" else None
    return {
        "kind": need.kind, "title": need.title.strip(), "description": need.description,
        "skills": [s.strip() for s in need.skills], "quantity": need.quantity,
        "goal_minor": money.minor if money else None, "currency": money.currency if money else None,
        "position": position,
    }


def _stamp(status: str, at: datetime) -> dict[str, str]:
    return {"status": status, "at": vocab.iso(at)}


async def _create(node: Node, organizer: Actor, inp: InitiativeInput, *, status: str = "proposed",
                  history: list[dict[str, str]] | None = None, published: datetime | None = None) -> Initiative:
    now = _now()
    uri = f"{node.urls.base}/initiatives/{new_slug()}"
    initiative = await Initiative.create(
        uri=uri, url=uri, local=True, organizer=organizer, status=status,
        status_history=history if history is not None else [_stamp(status, now)],
        published=published or now, draft=inp.draft, **_values(node, inp),
    )
    for i, need in enumerate(inp.needs):
        await Need.create(initiative=initiative, **_need_values(need, i))
    return initiative


async def create_initiative(node: Node, organizer: Actor, inp: InitiativeInput) -> Initiative:
    """A new initiative, `proposed`, federated as a `Create` of its Article (a draft is only stored)."""
    inp = _prepared(node, inp)
    validate(inp)
    if not organizer.local:
        raise InitiativeError("organizer: must be an account of this node")
    async with in_transaction():
        initiative = await _create(node, organizer, inp)
        if not inp.draft:
            await _send(node, initiative, "Create")
    return initiative


async def publish_initiative(node: Node, initiative: Initiative) -> Initiative:
    """A draft goes out, dated now (its status history too, when it holds only the first status)."""
    _editable(initiative)
    if not initiative.draft:
        return initiative
    now = _now()
    async with in_transaction():
        initiative.draft = False
        initiative.published = now
        initiative.updated = None
        if len(initiative.status_history or []) <= 1:
            initiative.status_history = [_stamp(initiative.status, now)]
        await initiative.save(update_fields=["draft", "published", "updated", "status_history"])
        await _send(node, initiative, "Create")
    return initiative


def _editable(initiative: Initiative) -> None:
    if initiative.deleted_at is not None or not initiative.local:
        raise InitiativeError("initiative: cannot be edited here")


def _published(initiative: Initiative, what: str) -> None:
    if initiative.draft:
        raise InitiativeError(f"initiative: not published yet; {what} once it is")


async def _replace_needs(initiative: Initiative, needs: Sequence[NeedInput]) -> None:
    """Keep a need (and its pledges) when the new list has one of the same kind and title, or else of
    the same kind at the same position; the others go with their pledges."""
    old = await Need.filter(initiative=initiative).order_by("position", "id")
    used: set[int] = set()
    plan: list[Need | None] = []
    for i, need in enumerate(needs):
        match = next((n for n in old if n.id not in used and n.kind == need.kind
                      and n.title.strip().casefold() == need.title.strip().casefold()), None)
        if match is None and i < len(old) and old[i].id not in used and old[i].kind == need.kind:
            match = old[i]
        if match is not None:
            used.add(match.id)
            if (match.kind == "money" and need.currency and match.currency
                    and need.currency.strip().upper() != match.currency and await Pledge.filter(need=match).exists()):
                raise InitiativeError(f"needs[{i}].currency: pledges were made in {match.currency}; it cannot change")
        plan.append(match)
    await Need.filter(initiative=initiative).exclude(id__in=list(used) or [0]).delete()
    for i, (need, match) in enumerate(zip(needs, plan)):
        if match is None:
            await Need.create(initiative=initiative, **_need_values(need, i))
        else:
            await match.update_from_dict(_need_values(need, i)).save()


async def update_initiative(node: Node, initiative: Initiative, inp: InitiativeInput) -> Initiative:
    """Replace what the organizer edits (the status has its own lifecycle), federated as `Update` (a
    draft sends nothing). All languages are replaced by the input's, or kept when it gives none."""
    inp = _prepared(node, inp, keep=initiative)
    validate(inp)
    _editable(initiative)
    async with in_transaction():
        await _replace_needs(initiative, inp.needs)
        await initiative.update_from_dict(_values(node, inp))
        if initiative.draft:
            await initiative.save()
            return initiative
        initiative.updated = _now()
        await initiative.save()
        await _send(node, initiative, "Update")
    return initiative


async def set_status(node: Node, initiative: Initiative, status: str) -> Initiative:
    """Move through the lifecycle (TRANSITIONS); each change is dated in the history and federated."""
    _editable(initiative)
    if status not in wire.STATUSES:
        raise InitiativeError(f"status: must be one of {', '.join(wire.STATUSES)}")
    allowed = TRANSITIONS.get(initiative.status, set())
    if status not in allowed:
        choices = ", ".join(sorted(allowed)) or "none, it is final"
        raise InitiativeError(f"status: an initiative that is {initiative.status} cannot become {status} (possible: {choices})")
    now = _now()
    async with in_transaction():
        initiative.status = status
        initiative.status_history = [*(initiative.status_history or []), _stamp(status, now)]
        initiative.updated = now
        await initiative.save(update_fields=["status", "status_history", "updated"])
        await _send(node, initiative, "Update")
    return initiative


async def delete_initiative(node: Node, initiative: Initiative) -> None:
    """Gone: a Tombstone (410) where it was, and a `Delete` to the followers."""
    if initiative.deleted_at is not None:
        return
    if initiative.draft:  # nobody saw it: nothing to tell
        await initiative.delete()
        return
    organizer = await _organizer(initiative)
    now = _now()
    async with in_transaction():
        initiative.deleted_at = now
        await initiative.save(update_fields=["deleted_at"])
        tombstone = vocab.tombstone(initiative.uri, "Article", now)
        tombstone.pop("@context")
        to, cc = _addressing(organizer)
        await publish(node, organizer, vocab.activity("Delete", f"{initiative.uri}#delete", organizer.uri, tombstone, to=to, cc=cc))


# ------------------------------------------------------------------ pledges


async def pledge(node: Node, need: Need, *, actor: Actor | None = None, name: str = "", email: str | None = None,
                 quantity: int | None = None, amount: str | None = None, message: str = "") -> Pledge:
    """An offer of help against a need: people (volunteers), items (materials) or an amount in the
    need's currency (money). Recorded only: no money moves."""
    initiative = await Initiative.get(id=need.initiative_id)  # type: ignore[attr-defined]
    if initiative.deleted_at is not None or not initiative.local:
        raise InitiativeError("need: pledges for this initiative are not taken here")
    _published(initiative, "pledges are taken")
    if initiative.status not in OPEN_STATUSES:
        raise InitiativeError(f"need: the initiative is {initiative.status}; it takes no more pledges")
    if actor is None:
        if not name.strip() or len(name) > 255:
            raise InitiativeError("name: required (at most 255 characters)")
        if email is not None and not EMAIL.fullmatch(email.strip()):
            raise InitiativeError("email: not a valid email address")
    if len(message) > 2000:
        raise InitiativeError("message: longer than 2000 characters")
    amount_minor = None
    if need.kind == "money":
        if quantity is not None:
            raise InitiativeError("quantity: a money need takes an amount")
        if amount is None:
            raise InitiativeError("amount: required for a money need")
        amount_minor = _money(amount, need.currency, "amount").minor
    else:
        if amount is not None:
            raise InitiativeError(f"amount: a {need.kind} need takes a quantity, not money")
        quantity = _check_quantity(1 if quantity is None and need.kind == "volunteers" else quantity, "quantity", required=True)
    return await Pledge.create(
        need=need, actor=actor, name=(name or (actor.name or actor.handle if actor else "")).strip()[:255],
        email=email.strip().lower() if email else None, quantity=quantity, amount_minor=amount_minor,
        message=message.strip(),
    )


# ------------------------------------------------------------------ ledger


def _ledger_values(direction: Any, nature: Any, description: Any, occurred_on: Any, amount: Any, currency: Any,
                   receipt_url: Any, prefix: str = "") -> dict[str, Any]:
    if direction not in DIRECTIONS:
        raise InitiativeError(f"{prefix}direction: must be one of {', '.join(DIRECTIONS)}")
    if nature not in NATURES:
        raise InitiativeError(f"{prefix}nature: must be one of {', '.join(NATURES)}")
    if not isinstance(description, str) or not description.strip():
        raise InitiativeError(f"{prefix}description: required")
    if len(description) > 2000:
        raise InitiativeError(f"{prefix}description: longer than 2000 characters")
    if isinstance(occurred_on, str):
        try:
            occurred_on = date.fromisoformat(occurred_on)
        except ValueError:
            raise InitiativeError(f"{prefix}occurred_on: not a date (YYYY-MM-DD)") from None
    if isinstance(occurred_on, datetime) or not isinstance(occurred_on, date):
        raise InitiativeError(f"{prefix}occurred_on: not a date (YYYY-MM-DD)")
    if occurred_on.year < 1900 or occurred_on > date.today().replace(year=date.today().year + 1):
        raise InitiativeError(f"{prefix}occurred_on: not a believable date")
    if receipt_url is not None and not vocab.is_http_url(receipt_url):
        raise InitiativeError(f"{prefix}receipt_url: must be an http(s) address")
    money = None
    if nature == "money":
        if amount is None:
            raise InitiativeError(f"{prefix}amount: required for money")
        money = _money(amount, currency, f"{prefix}amount")
    elif amount is not None or currency is not None:
        raise InitiativeError(f"{prefix}amount: an in-kind entry has no amount; describe it instead")
    return {
        "direction": direction, "nature": nature, "description": description.strip(), "occurred_on": occurred_on,
        "amount_minor": money.minor if money else None, "currency": money.currency if money else None,
        "receipt_url": receipt_url,
    }


async def add_ledger_entry(node: Node, initiative: Initiative, *, direction: str, nature: str, description: str,
                           occurred_on: date, amount: str | None = None, currency: str | None = None,
                           receipt_url: str | None = None) -> LedgerEntry:
    """One line of the transparency ledger; the new totals federate as an `Update`."""
    _editable(initiative)
    values = _ledger_values(direction, nature, description, occurred_on, amount, currency, receipt_url)
    if await LedgerEntry.filter(initiative=initiative).count() >= MAX_LEDGER:
        raise InitiativeError(f"ledger: at most {MAX_LEDGER} entries")
    async with in_transaction():
        entry = await LedgerEntry.create(initiative=initiative, **values)
        initiative.updated = _now()
        await initiative.save(update_fields=["updated"])
        await _send(node, initiative, "Update")
    return entry


# ------------------------------------------------------------------ support


async def recount_support(initiative: Initiative) -> int:
    """Derived from the Support rows; a network initiative keeps the count its own node publishes."""
    if not initiative.local:
        return initiative.support_count
    initiative.support_count = await Support.filter(initiative=initiative, held=False).count()
    await Initiative.filter(id=initiative.id).update(support_count=initiative.support_count)
    return initiative.support_count


async def support(node: Node, initiative: Initiative, actor: Actor, *, uri: str | None = None) -> Support:
    """A local member or a remote actor (their `Like`) supports. A member supporting a network
    initiative sends a `Like` to its organizer, whose node counts it."""
    if initiative.deleted_at is not None:
        raise InitiativeError("initiative: it was deleted")
    _published(initiative, "support is counted")
    existing = await Support.get_or_none(initiative=initiative, actor=actor)
    if existing is not None:
        return existing
    if not initiative.local and not actor.local:
        raise InitiativeError("initiative: support for a network initiative is counted by its own node")
    uri = uri or (f"{actor.uri}#likes/{secrets.token_hex(8)}" if not initiative.local else f"{initiative.uri}#supports/{secrets.token_hex(8)}")
    async with in_transaction():
        try:
            row = await Support.create(uri=uri, initiative=initiative, actor=actor)
        except IntegrityError:
            found = await Support.get_or_none(initiative=initiative, actor=actor)
            if found is None:
                raise InitiativeError("support: recorded already") from None
            return found
        await recount_support(initiative)
        if not initiative.local:
            organizer = await _organizer(initiative)
            await publish(node, actor, vocab.activity("Like", uri, actor.uri, initiative.uri, to=[organizer.uri]),
                          followers=False, recipients=[organizer.uri])
    return row


async def unsupport(node: Node, initiative: Initiative, actor: Actor) -> None:
    row = await Support.get_or_none(initiative=initiative, actor=actor)
    if row is None:
        return
    async with in_transaction():
        await row.delete()
        await recount_support(initiative)
        if not initiative.local and actor.local:
            organizer = await _organizer(initiative)
            like = {"id": row.uri, "type": "Like", "actor": actor.uri, "object": initiative.uri}
            await publish(node, actor, vocab.activity("Undo", f"{row.uri}/undo", actor.uri, like, to=[organizer.uri]),
                          followers=False, recipients=[organizer.uri])


async def liked(node: Node, actor: Actor, doc: Mapping[str, Any]) -> bool:
    """An inbound `Like`: True when it was of one of our initiatives (and now counts as support)."""
    ref = vocab.id_of(doc.get("object"))
    if ref is None or not node.urls.is_local(ref):
        return False
    initiative = await Initiative.get_or_none(uri=ref, local=True)
    if initiative is None:
        return False
    if initiative.deleted_at is None and not initiative.draft and isinstance(doc.get("id"), str):
        await support(node, initiative, actor, uri=doc["id"])
    return True


async def unliked(actor: Actor, like_uri: str) -> bool:
    """An inbound `Undo` of a `Like`: True when it withdrew support."""
    row = await Support.get_or_none(uri=like_uri, actor=actor)
    if row is None:
        return False
    initiative = await Initiative.get(id=row.initiative_id)  # type: ignore[attr-defined]
    await row.delete()
    await recount_support(initiative)
    return True


# ------------------------------------------------------------------ progress posts


async def post_progress(node: Node, initiative: Initiative, text: str) -> Post:
    """A progress update: a public Note by the organizer, in reply to and in the `context` of the
    initiative, so followers see it in their timeline and the initiative page tells the story."""
    _editable(initiative)
    _published(initiative, "post updates")
    if not text.strip():
        raise InitiativeError("text: the update is empty")
    if len(text) > MAX_SOURCE:
        raise InitiativeError(f"text: longer than {MAX_SOURCE} characters")
    organizer = await _organizer(initiative)
    draft = Draft(text=text, language=initiative.language, visibility="public", in_reply_to=initiative.uri,
                  context=initiative.uri)
    try:
        post = await create_post(node, organizer, draft)
    except ContentError as exc:
        raise InitiativeError(f"text: {exc}") from None
    return post


async def progress_posts(initiative: Initiative) -> list[Post]:
    """The initiative's story: its organizer's updates, oldest first."""
    return await Post.filter(in_reply_to_uri=initiative.uri, author_id=initiative.organizer_id,  # type: ignore[attr-defined]
                             deleted_at=None).order_by("published")


# ------------------------------------------------------------------ export and import


def _place_json(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value else None


async def export_json(initiative: Initiative) -> dict[str, Any]:
    """The whole initiative as a versioned document: what `import_json` reads back. Pledges are counted,
    never listed (no names or emails leave the node)."""
    needs = []
    for need in await Need.filter(initiative=initiative).order_by("position", "id"):
        pledged, _ = await need_progress(need)
        needs.append({
            "kind": need.kind, "title": need.title, "description": need.description, "skills": list(need.skills or []),
            "quantity": need.quantity,
            "goal": amount_text(need.goal_minor, need.currency) if need.goal_minor is not None and need.currency else None,
            "currency": need.currency,
            "pledge_count": await Pledge.filter(need=need).count(),
            "pledged": amount_text(pledged, need.currency) if need.kind == "money" and need.currency else pledged,
        })
    ledger = [
        {"direction": e.direction, "nature": e.nature, "description": e.description,
         "occurred_on": e.occurred_on.isoformat(),
         "amount": amount_text(e.amount_minor, e.currency) if e.amount_minor is not None and e.currency else None,
         "currency": e.currency, "receipt_url": e.receipt_url}
        for e in await LedgerEntry.filter(initiative=initiative).order_by("occurred_on", "id")
    ]
    totals = [{"currency": t.currency, "received": amount_text(t.received_minor, t.currency),
               "spent": amount_text(t.spent_minor, t.currency)} for t in await ledger_totals(initiative)]
    return {
        "agora_initiative": FORMAT_VERSION, "id": initiative.uri, "url": initiative.url or initiative.uri,
        "title": initiative.title, "kind": initiative.kind, "summary": initiative.summary,
        "description": initiative.source, "status": initiative.status, "status_history": list(initiative.status_history or []),
        "place_there": _place_json(initiative.place_there), "place_here": _place_json(initiative.place_here),
        "cover_url": initiative.cover_url, "cover_alt": initiative.cover_alt, "cover_media_type": initiative.cover_media_type,
        "language": initiative.language, "tags": list(initiative.tags or []), "responsible": list(initiative.responsible or []),
        "supporters_public": initiative.supporters_public, "support_count": initiative.support_count,
        "published": vocab.iso(initiative.published), "updated": vocab.iso(initiative.updated) if initiative.updated else None,
        "needs": needs, "ledger": ledger, "totals": totals,
        "translations": [{"language": t.language, "title": t.title, "summary": t.summary, "description": t.text}
                         for t in translations_of(initiative)],
    }


def _text(data: Mapping[str, Any], key: str, field: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InitiativeError(f"{field}: must be text")
    return value


def _optional_text(data: Mapping[str, Any], key: str, field: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InitiativeError(f"{field}: must be text")
    return value


def _strings(data: Mapping[str, Any], key: str, field: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InitiativeError(f"{field}: must be a list of texts")
    return tuple(value)


def _place_in(value: Any, field: str) -> Place | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InitiativeError(f"{field}: must be an object")
    known = {f.name: f for f in dataclasses.fields(Place)}
    unknown = set(value) - set(known)
    if unknown:
        raise InitiativeError(f"{field}.{sorted(unknown)[0]}: unknown field")
    for key, item in value.items():
        if key in ("latitude", "longitude"):
            if item is not None and (isinstance(item, bool) or not isinstance(item, (int, float))):
                raise InitiativeError(f"{field}.{key}: not a number")
        elif not isinstance(item, str):
            raise InitiativeError(f"{field}.{key}: must be text")
    if "name" not in value:
        raise InitiativeError(f"{field}.name: required")
    return Place(**dict(value))


def _needs_in(value: Any) -> tuple[NeedInput, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InitiativeError("needs: must be a list")
    out = []
    for i, item in enumerate(value):
        field = f"needs[{i}]"
        if not isinstance(item, Mapping):
            raise InitiativeError(f"{field}: must be an object")
        goal = item.get("goal")
        if goal is not None and (isinstance(goal, bool) or not isinstance(goal, (str, int, float))):
            raise InitiativeError(f"{field}.goal: not a number")
        quantity = item.get("quantity")
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int)):
            raise InitiativeError(f"{field}.quantity: not a whole number")
        out.append(NeedInput(
            kind=_text(item, "kind", f"{field}.kind"), title=_text(item, "title", f"{field}.title"),
            description=_text(item, "description", f"{field}.description"),
            skills=_strings(item, "skills", f"{field}.skills"), quantity=quantity,
            goal=None if goal is None else str(goal), currency=_optional_text(item, "currency", f"{field}.currency"),
        ))
    return tuple(out)


def _translations_in(value: Any) -> tuple[Translation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InitiativeError("translations: must be a list")
    out = []
    for i, item in enumerate(value):
        field = f"translations[{i}]"
        if not isinstance(item, Mapping):
            raise InitiativeError(f"{field}: must be an object")
        out.append(Translation(
            language=_text(item, "language", f"{field}.language"), title=_text(item, "title", f"{field}.title"),
            summary=_text(item, "summary", f"{field}.summary"), text=_text(item, "description", f"{field}.description"),
        ))
    return tuple(out)


def _history_in(value: Any, status: str) -> list[dict[str, str]]:
    if value is None:
        return [_stamp(status, _now())]
    if not isinstance(value, list) or not value:
        raise InitiativeError("status_history: must be a non-empty list")
    out = []
    previous: str | None = None
    for i, item in enumerate(value):
        field = f"status_history[{i}]"
        if not isinstance(item, Mapping):
            raise InitiativeError(f"{field}: must be an object")
        state = item.get("status")
        if state not in wire.STATUSES:
            raise InitiativeError(f"{field}.status: must be one of {', '.join(wire.STATUSES)}")
        if previous is None and state != "proposed" and len(value) > 1:
            raise InitiativeError(f"{field}.status: a history starts with proposed")
        if previous is not None and state not in TRANSITIONS[previous]:
            raise InitiativeError(f"{field}.status: {previous} cannot become {state}")
        at = vocab.parse_datetime(item.get("at"))
        if at is None:
            raise InitiativeError(f"{field}.at: not a date and time (ISO 8601)")
        out.append(_stamp(state, at))
        previous = state
    if previous != status:
        raise InitiativeError(f"status: the history ends with {previous}, not {status}")
    return out


async def import_json(node: Node, organizer: Actor, data: Mapping[str, Any]) -> Initiative:
    """Recreate an exported initiative here (moved or restored): everything is validated first, then
    written in one transaction (status history and ledger kept; pledges are not exported) and federated."""
    if not isinstance(data, Mapping):
        raise InitiativeError("document: must be a JSON object")
    if data.get("agora_initiative") != FORMAT_VERSION:
        raise InitiativeError(f"agora_initiative: must be {FORMAT_VERSION} (this is not an Agora initiative export)")
    supporters_public = data.get("supporters_public", True)
    if not isinstance(supporters_public, bool):
        raise InitiativeError("supporters_public: must be true or false")
    inp = InitiativeInput(
        title=_text(data, "title", "title"), kind=_text(data, "kind", "kind"), summary=_text(data, "summary", "summary"),
        description=_text(data, "description", "description"),
        place_there=_place_in(data.get("place_there"), "place_there"),
        place_here=_place_in(data.get("place_here"), "place_here"),
        cover_url=_optional_text(data, "cover_url", "cover_url"), cover_alt=_text(data, "cover_alt", "cover_alt"),
        cover_media_type=_optional_text(data, "cover_media_type", "cover_media_type"),
        language=_optional_text(data, "language", "language"), tags=_strings(data, "tags", "tags"),
        responsible=_strings(data, "responsible", "responsible"), needs=_needs_in(data.get("needs")),
        supporters_public=supporters_public, translations=_translations_in(data.get("translations")),
    )
    inp = _prepared(node, inp)
    validate(inp)
    status = data.get("status", "proposed")
    if status not in wire.STATUSES:
        raise InitiativeError(f"status: must be one of {', '.join(wire.STATUSES)}")
    history = _history_in(data.get("status_history"), status)
    published = vocab.parse_datetime(data.get("published")) if data.get("published") is not None else None
    if data.get("published") is not None and published is None:
        raise InitiativeError("published: not a date and time (ISO 8601)")
    raw_ledger = data.get("ledger") or []
    if not isinstance(raw_ledger, list):
        raise InitiativeError("ledger: must be a list")
    if len(raw_ledger) > MAX_LEDGER:
        raise InitiativeError(f"ledger: at most {MAX_LEDGER} entries")
    entries = []
    for i, item in enumerate(raw_ledger):
        if not isinstance(item, Mapping):
            raise InitiativeError(f"ledger[{i}]: must be an object")
        entries.append(_ledger_values(
            item.get("direction"), item.get("nature", "money"), item.get("description"), item.get("occurred_on"),
            item.get("amount"), item.get("currency"), item.get("receipt_url"), prefix=f"ledger[{i}].",
        ))
    if not organizer.local:
        raise InitiativeError("organizer: must be an account of this node")
    async with in_transaction():
        initiative = await _create(node, organizer, inp, status=status, history=history, published=published)
        for values in entries:
            await LedgerEntry.create(initiative=initiative, **values)
        await _send(node, initiative, "Create")
    return initiative
