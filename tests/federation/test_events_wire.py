"""Events on the wire (federation/events.py): recorded Mobilizon and Gancio payloads, round trips,
what Mastodon shows, refusals, JSON-LD."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from federation import jsonld
from federation.events import (
    EVENT_CONTEXT,
    EventData,
    Place,
    event_document,
    event_summary,
    mastodon_rendering,
    parse_event,
)
from federation.vocab import PUBLIC, VocabError

DATA = Path(__file__).parents[1] / "data" / "events"
PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc


def recorded(name: str) -> dict[str, Any]:
    doc = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def recorded_object(name: str) -> dict[str, Any]:
    obj = recorded(name)["object"]
    assert isinstance(obj, dict)
    return obj


HALL = Place(
    name="Maison des associations",
    street="12 rue Saint-Maur",
    postal_code="75011",
    locality="Paris",
    region="Île-de-France",
    country="France",
    latitude=48.8589,
    longitude=2.3801,
)
ANNEX = Place(name="Salle Olympe de Gouges", street="15 rue Merlin", postal_code="75011", locality="Paris",
              country="France")

BASE = EventData(
    id="https://asso.example/events/7",
    url="https://asso.example/events/7",
    name="Soirée de rentrée",
    content_html="<p>Venez nombreux !</p>",
    start=datetime(2026, 9, 12, 19, 0, tzinfo=PARIS),
    end=datetime(2026, 9, 12, 23, 0, tzinfo=PARIS),
    timezone="Europe/Paris",
    all_day=False,
    places=(HALL,),
    online_url=None,
    status="CONFIRMED",
    join_mode="free",
    capacity=None,
    participant_count=0,
    category=None,
    language=None,
    tags=(),
    external_url=None,
    banner_url=None,
    banner_alt="",
    banner_media_type=None,
    organizer="https://asso.example/users/amina",
    group=None,
    published=None,
    updated=None,
    uuid=None,
    anonymous_participation=False,
    comments_enabled=True,
    replies_moderation=None,
    contacts=(),
    to=(PUBLIC,),
    cc=("https://asso.example/users/amina/followers",),
)


def event(**changes: Any) -> EventData:
    return dataclasses.replace(BASE, **changes)


def base_doc(**changes: Any) -> dict[str, Any]:
    doc = event_document(BASE)
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


# ---------------------------------------------------------------- recorded payloads


def test_mobilizon_create_event_with_address_online_link_and_banner() -> None:
    ev = parse_event(recorded_object("mobilizon-post-activity-media-1.json"))
    assert ev.id == "https://mobilizon.fr/events/39a0c4a6-f2b6-41dc-bbe2-fc5bff76cc93"
    assert ev.url == ev.id
    assert ev.name == "My first event"
    assert ev.start == datetime(2018, 2, 12, 14, 8, 20, tzinfo=UTC)
    assert ev.end is None
    assert ev.timezone == "UTC"
    assert ev.places == (
        Place(name="Locaux de Framasoft", street="10 Rue Jangot", postal_code="69007", locality="Lyon",
              region="Auvergne Rhône Alpes", country="France"),
    )
    # Two text/html Links: Mobilizon's online address is the one named "Website".
    assert ev.online_url == "https://google.com"
    # Mobilizon's order: a "Banner" attachment, else `image`, else the first image attachment.
    assert ev.banner_url == "https://mobilizon.fr/some-image-1"
    assert ev.banner_media_type == "image/png"
    assert ev.banner_alt == ""
    assert ev.organizer == "https://mobilizon.fr/@metacartes"
    assert ev.group is None
    assert ev.uuid == "109ccdfd-ee3e-46e1-a877-6c228763df0c"
    assert ev.category == "TODO remove me"
    assert ev.published == datetime(2018, 2, 12, 14, 8, 20, tzinfo=UTC)
    assert ev.to == (PUBLIC,)
    assert ev.cc == ("https://framapiaf.org/users/admin/followers", "https://framapiaf.org/users/tcit")
    assert ev.tags == ()  # the only tag is a Mention


def test_mobilizon_group_event_separates_organizer_and_group() -> None:
    ev = parse_event(recorded_object("mobilizon-post-activity-group.json"))
    assert ev.organizer == "http://mobilizon1.com/@user"
    assert ev.group == "http://mobilizon1.com/@group"
    assert ev.places == () and ev.online_url is None
    assert ev.to == ("http://mobilizon1.com/@group",)


def test_event_fetched_from_mobilizon_org() -> None:
    ev = parse_event(recorded("mobilizon.org-event.json"))
    assert ev.name == "Mobilizon Launching Party"
    assert ev.start == datetime(2019, 12, 18, 13, 0, tzinfo=UTC)
    assert ev.end == datetime(2019, 12, 18, 14, 0, tzinfo=UTC)
    assert ev.status == "CONFIRMED"  # from ical:status
    assert ev.join_mode == "free"
    assert ev.capacity is None  # Mobilizon's 0 means "no limit"
    assert ev.replies_moderation == "allow_all" and ev.comments_enabled
    assert ev.category == "meeting"
    assert ev.updated == datetime(2019, 12, 17, 12, 25, 1, tzinfo=UTC)
    (place,) = ev.places
    assert place.name == "Cour du Château des Ducs de Bretagne"
    assert (place.street, place.postal_code) == ("", "")  # " " and null
    assert (place.locality, place.region, place.country) == ("Nantes", "Pays de la Loire", "France")
    assert place.latitude is not None and place.longitude is not None  # from the nested `geo`
    assert ev.tags == ("Mobilizon", "Federation", "ActivityPub", "Party")
    assert ev.online_url is None


def test_gancio_create_event() -> None:
    ev = parse_event(recorded_object("gancio-event-activity.json"))
    assert ev.id == "https://demo.gancio.org/federation/m/1"
    assert ev.url == "https://demo.gancio.org/event/demo-event"
    assert ev.name == "Demo event"
    # Mobilizon's own test expects 15:30:57Z .. 16:30:57Z for this payload.
    assert ev.start == datetime(2021, 7, 14, 15, 30, 57, tzinfo=UTC)
    assert ev.end == datetime(2021, 7, 14, 16, 30, 57, tzinfo=UTC)
    assert ev.start.utcoffset() == timedelta(hours=2)  # no `timezone`: kept at the sender's offset
    assert ev.timezone == "Etc/GMT-2"
    assert ev.places == (Place(name="Colosseo"),)
    assert ev.online_url is None
    assert ev.tags == ("test",)
    assert ev.organizer == "https://demo.gancio.org/federation/u/gancio"
    assert ev.group is None
    assert "Colosseo" in ev.content_html


def gancio_with_location(fixture: str) -> EventData:
    doc = recorded_object("gancio-event-activity.json")
    doc["location"] = json.loads((DATA / fixture).read_text(encoding="utf-8"))
    return parse_event(doc)


def test_gancio_mixed_physical_and_virtual_locations() -> None:
    ev = gancio_with_location("gancio-location-multiple-mixed-locations.json")
    assert [p.name for p in ev.places] == ["Location with a name", "A second location with a name"]
    assert ev.online_url == "https://virtual.location.org"


def test_gancio_virtual_location_only() -> None:
    ev = gancio_with_location("gancio-location-virtual-location.json")
    assert ev.places == ()
    assert ev.online_url == "https://virtual.location.org"
    assert "Online" in event_summary(ev)


def test_gancio_plain_string_address() -> None:
    ev = gancio_with_location("gancio-location-physical-location-with-simple-string-address.json")
    assert ev.places == (Place(name="Location with a simple string address", street="Simple string address"),)


def test_gancio_postal_address_and_place_without_id() -> None:
    ev = gancio_with_location("gancio-location-physical-location-with-postal-address.json")
    assert ev.places == (
        Place(name="Location with a postal address", street="15 Fediverse Street", postal_code="8010",
              locality="Fediverse Town", region="Steiermark", country="Austria"),
    )
    assert gancio_with_location("gancio-location-physical-location-without-id.json").places == (
        Place(name="Location without id"),
    )


def test_gancio_place_without_name_or_address_is_skipped_not_fatal() -> None:
    ev = gancio_with_location("gancio-location-bad-location-without-a-name.json")
    assert ev.places == ()


def test_location_as_plain_string_and_online_link_attachment() -> None:
    doc = recorded_object("gancio-event-activity.json") | {
        "location": "Café des Arts, Lyon",
        # What Gancio's toAP writes for an online location: a Link named after its own href.
        "attachment": [{"type": "Link", "mediaType": "text/html", "name": "https://meet.example/x",
                        "href": "https://meet.example/x"}],
    }
    ev = parse_event(doc)
    assert ev.places == (Place(name="Café des Arts, Lyon"),)
    assert ev.online_url == "https://meet.example/x"


# ---------------------------------------------------------------- round trips


ROUND_TRIPS: dict[str, EventData] = {
    "plain": BASE,
    "several places, online and physical, banner, tags": event(
        places=(HALL, ANNEX),
        online_url="https://visio.example/rentree",
        banner_url="https://asso.example/media/affiche.webp",
        banner_alt="Affiche : un soir d’été",
        banner_media_type="image/webp",
        tags=("rentrée", "Diaspora", "musique"),
        language="fr",
        category="PARTY",
    ),
    "online only": event(places=(), online_url="https://visio.example/r"),
    "cancelled, restricted, full options": event(
        status="CANCELLED",
        join_mode="restricted",
        capacity=80,
        participant_count=12,
        uuid="0b7d2e39-8b07-4d7e-8f57-4d0f2b8e7f11",
        anonymous_participation=True,
        comments_enabled=False,
        replies_moderation="closed",
        contacts=("https://asso.example/users/amina", "https://asso.example/users/yusuf"),
        group="https://asso.example/groups/bureau",
        published=datetime(2026, 8, 1, 10, 0, tzinfo=UTC),
        updated=datetime(2026, 8, 2, 11, 30, 15, 250000, tzinfo=UTC),
    ),
    "tentative, external participation": event(
        status="TENTATIVE", join_mode="external", external_url="https://tickets.example/rentree",
    ),
    "all day": event(all_day=True, start=datetime(2026, 9, 12, tzinfo=PARIS), end=None),
    "all day, several days": event(
        all_day=True, start=datetime(2026, 12, 31, tzinfo=PARIS), end=datetime(2027, 1, 2, 23, 59, 59, tzinfo=PARIS),
    ),
    "multi-day across a DST change": event(
        start=datetime(2026, 10, 24, 18, 0, tzinfo=PARIS), end=datetime(2026, 10, 25, 14, 0, tzinfo=PARIS),
    ),
    "no end, other zone": event(start=datetime(2026, 3, 1, 9, 30, tzinfo=ZoneInfo("Africa/Dakar")), end=None,
                                timezone="Africa/Dakar", language="wo"),
    "unlisted": event(to=("https://asso.example/users/amina/followers",), cc=(PUBLIC,)),
}


@pytest.mark.parametrize("ev", list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))
def test_round_trip_preserves_every_field(ev: EventData) -> None:
    doc = json.loads(json.dumps(event_document(ev)))  # as it travels
    back = parse_event(doc)
    for field in dataclasses.fields(EventData):
        assert getattr(back, field.name) == getattr(ev, field.name), field.name
    assert back == ev


def test_round_trip_keeps_the_event_zone_on_the_wire() -> None:
    back = parse_event(event_document(BASE))
    assert back.start.tzinfo is not None and back.start.utcoffset() == timedelta(hours=2)
    assert back.timezone == "Europe/Paris"


def test_document_has_mobilizon_fields() -> None:
    ev = ROUND_TRIPS["cancelled, restricted, full options"]
    doc = event_document(ev)
    assert doc["@context"] is EVENT_CONTEXT
    assert doc["type"] == "Event" and doc["id"] == doc["url"] == ev.id
    assert doc["mediaType"] == "text/html"
    assert doc["startTime"] == "2026-09-12T19:00:00+02:00"
    assert doc["endTime"] == "2026-09-12T23:00:00+02:00"
    assert doc["status"] == doc["ical:status"] == "CANCELLED"
    assert doc["joinMode"] == "restricted"
    assert doc["maximumAttendeeCapacity"] == 80 and doc["remainingAttendeeCapacity"] == 68
    assert doc["participantCount"] == 12
    assert doc["attributedTo"] == "https://asso.example/groups/bureau"
    assert doc["actor"] == "https://asso.example/users/amina"
    assert doc["isOnline"] is False
    assert doc["location"]["type"] == "Place"
    assert doc["location"]["address"]["type"] == "PostalAddress"
    assert doc["location"]["address"]["postalCode"] == "75011"
    assert (doc["location"]["latitude"], doc["location"]["longitude"]) == (48.8589, 2.3801)
    assert doc["published"] == "2026-08-01T10:00:00Z"


def test_document_attachments_for_mastodon_gancio_and_mobilizon() -> None:
    doc = event_document(ROUND_TRIPS["several places, online and physical, banner, tags"])
    banner, link = doc["attachment"]
    # The banner comes first (Gancio reads the alt text of attachment[0]) and always has a mediaType.
    assert banner == {"type": "Document", "mediaType": "image/webp",
                      "url": "https://asso.example/media/affiche.webp", "name": "Affiche : un soir d’été"}
    assert link == {"type": "Link", "href": "https://visio.example/rentree", "mediaType": "text/html",
                    "name": "Website"}
    assert doc["image"]["url"] == banner["url"]
    assert doc["isOnline"] is True
    assert isinstance(doc["location"], list) and len(doc["location"]) == 2
    assert {"type": "Hashtag", "name": "#rentrée", "href": "https://asso.example/tags/rentr%C3%A9e"} in doc["tag"]
    assert doc["inLanguage"] == "fr" and doc["contentMap"] == {"fr": BASE.content_html}


def test_banner_without_media_type_is_guessed() -> None:
    doc = event_document(event(banner_url="https://asso.example/media/x.png"))
    assert doc["attachment"][0]["mediaType"] == "image/png"
    doc = event_document(event(banner_url="https://asso.example/media/x"))
    assert doc["attachment"][0]["mediaType"] == "image/jpeg"


def test_all_day_goes_out_as_whole_local_days() -> None:
    doc = event_document(ROUND_TRIPS["all day"])
    assert doc["startTime"] == "2026-09-12T00:00:00+02:00"
    assert doc["endTime"] == "2026-09-12T23:59:59+02:00"
    # An iCalendar-style exclusive end (next midnight) means the same single day.
    same = event(all_day=True, start=datetime(2026, 9, 12, 10, tzinfo=PARIS), end=datetime(2026, 9, 13, tzinfo=PARIS))
    assert event_document(same)["endTime"] == "2026-09-12T23:59:59+02:00"


# ---------------------------------------------------------------- time zones


@pytest.mark.parametrize(("month", "offset"), [(1, "+01:00"), (7, "+02:00")])
def test_start_time_offset_follows_dst(month: int, offset: str) -> None:
    ev = event(start=datetime(2026, month, 15, 20, 0, tzinfo=PARIS), end=None)
    doc = event_document(ev)
    assert doc["startTime"] == f"2026-{month:02d}-15T20:00:00{offset}"
    # Given in UTC, still sent in the event's own zone.
    utc = event(start=datetime(2026, month, 15, 20, 0, tzinfo=PARIS).astimezone(UTC), end=None)
    assert event_document(utc)["startTime"] == doc["startTime"]
    assert f"GMT{offset}" in event_summary(ev)


def test_end_offset_changes_across_dst() -> None:
    doc = event_document(ROUND_TRIPS["multi-day across a DST change"])
    assert doc["startTime"] == "2026-10-24T18:00:00+02:00"
    assert doc["endTime"] == "2026-10-25T14:00:00+01:00"
    assert "GMT+02:00 → GMT+01:00" in doc["summary"]


def test_naive_start_time_is_read_in_the_given_zone_else_utc() -> None:
    doc = base_doc(startTime="2026-01-10T19:00:00", endTime=None, timezone="Europe/Paris")
    assert parse_event(doc).start == datetime(2026, 1, 10, 18, 0, tzinfo=UTC)
    doc = base_doc(startTime="2026-07-10T19:00:00", endTime="2026-07-10T21:00", timezone="Europe/Paris")
    ev = parse_event(doc)
    assert (ev.start.isoformat(), ev.end and ev.end.isoformat()) == (
        "2026-07-10T19:00:00+02:00", "2026-07-10T21:00:00+02:00")
    doc = base_doc(startTime="2026-07-10T19:00:00", endTime=None)
    del doc["timezone"]
    ev = parse_event(doc)
    assert ev.start == datetime(2026, 7, 10, 19, 0, tzinfo=UTC) and ev.timezone == "UTC"


def test_offset_start_time_is_moved_into_the_declared_zone() -> None:
    doc = base_doc(startTime="2026-07-10T17:00:00Z", endTime=None, timezone="Europe/Paris")
    ev = parse_event(doc)
    assert ev.start.isoformat() == "2026-07-10T19:00:00+02:00"


# ---------------------------------------------------------------- summary and what Mastodon shows


def test_mastodon_shows_french_date_offset_and_place() -> None:
    ev = event(language="fr", online_url="https://visio.example/r")
    shown = mastodon_rendering(event_document(ev))
    assert shown.startswith("<h2>Soirée de rentrée</h2>")
    assert "samedi 12 septembre 2026" in shown
    assert re.search(r"19:00\s*–\s*23:00", shown)  # CLDR puts thin spaces around the dash
    assert "UTC+02:00" in shown and "Europe/Paris" in shown  # CLDR French writes UTC, not GMT
    assert "Maison des associations, 12 rue Saint-Maur, 75011 Paris, France" in shown
    assert "En ligne" in shown
    assert '<a href="https://asso.example/events/7"' in shown
    assert "Venez nombreux" not in shown  # Mastodon drops `content` of an Event


def test_locale_argument_overrides_the_event_language() -> None:
    shown = mastodon_rendering(event_document(event(language="en"), locale="fr"))
    assert "samedi 12 septembre 2026" in shown


def test_english_summary_says_cancelled_first() -> None:
    summary = event_summary(event(status="CANCELLED"))
    assert summary.startswith("CANCELLED · Saturday, September 12, 2026")
    assert "7:00" in summary and "11:00" in summary
    assert "(GMT+02:00, Europe/Paris)" in summary
    assert summary.endswith("Maison des associations, 12 rue Saint-Maur, 75011 Paris, France")


def test_summary_for_british_english_and_german() -> None:
    assert "Saturday, 12 September 2026, 19:00–23:00 (GMT+02:00, Europe/Paris)" in event_summary(
        event(language="en-GB"))
    assert "Samstag, 12. September 2026" in event_summary(event(language="de"))


def test_unknown_language_falls_back_to_english() -> None:
    assert event_summary(event(language="xx")).startswith("Saturday, September 12, 2026")
    assert event_summary(event(language="not a tag")).startswith("Saturday, September 12, 2026")


def test_all_day_summaries_have_no_hours() -> None:
    one = event_summary(ROUND_TRIPS["all day"])
    assert one.startswith("Saturday, September 12, 2026 · ")
    assert "GMT" not in one and ":" not in one.split(" · ")[0]
    several = event_summary(dataclasses.replace(ROUND_TRIPS["all day, several days"], language="fr"))
    assert several.startswith("jeudi 31 décembre 2026 – samedi 2 janvier 2027 · ")


def test_multi_day_timed_summary_names_both_days() -> None:
    summary = event_summary(event(end=datetime(2026, 9, 13, 2, 0, tzinfo=PARIS), language="fr"))
    assert summary.startswith("samedi 12 septembre 2026, 19:00 – dimanche 13 septembre 2026, 02:00 (UTC+02:00")


def test_online_only_and_several_places() -> None:
    assert event_summary(event(places=(), online_url="https://v.example/r")).endswith(" · Online")
    both = event_summary(event(places=(HALL, ANNEX)))
    assert "Maison des associations" in both and "Salle Olympe de Gouges" in both


def test_summary_is_escaped_text() -> None:
    ev = event(places=(Place(name="<b>Chez Léa & Co</b>"),))
    summary = event_summary(ev)
    assert "&lt;b&gt;Chez Léa &amp; Co&lt;/b&gt;" in summary and "<b>" not in summary


def test_mastodon_rendering_of_recorded_gancio_event_and_url_lists() -> None:
    shown = mastodon_rendering(recorded_object("gancio-event-activity.json"))
    assert shown.startswith("<h2>Demo event</h2>")
    assert "https://demo.gancio.org/event/demo-event" in shown
    doc = {"type": "Event", "id": "https://x.example/e/1", "name": "N",
           "url": [{"type": "Link", "mediaType": "application/activity+json", "href": "https://x.example/e/1"},
                   {"type": "Link", "mediaType": "text/html", "href": "https://x.example/@e/1"}]}
    assert '<a href="https://x.example/@e/1"' in mastodon_rendering(doc)
    assert mastodon_rendering({"type": "Note", "content": "<p>hi</p>", "name": "x"}) == "<p>hi</p>"


# ---------------------------------------------------------------- refusals


def without(key: str) -> dict[str, Any]:
    doc = base_doc()
    del doc[key]
    return doc


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "no id": (without("id"), "no id"),
    "non-http id": (base_doc(id="urn:uuid:0b7d2e39-8b07-4d7e-8f57-4d0f2b8e7f11"), "http"),
    "javascript id": (base_doc(id="javascript:alert(1)"), "http"),
    "no name": (without("name"), "no name"),
    "blank name": (base_doc(name="   "), "no name"),
    "no startTime": (without("startTime"), "startTime"),
    "startTime not a date": (base_doc(startTime="next saturday"), "startTime"),
    "startTime a number": (base_doc(startTime=1789000000), "startTime"),
    "endTime not a date": (base_doc(endTime="2026-13-45T25:00:00Z"), "endTime"),
    "absurd year": (base_doc(startTime="0001-01-01T00:00:00Z", endTime=None), "out of range"),
    "end before start": (base_doc(endTime="2026-09-12T18:59:59+02:00"), "before it starts"),
    "unknown zone": (base_doc(timezone="Mars/Olympus_Mons"), "time zone"),
    "zone path": (base_doc(timezone="../../../etc/passwd"), "time zone"),
    "zone not a string": (base_doc(timezone=["Europe/Paris"]), "time zone"),
    "negative capacity": (base_doc(maximumAttendeeCapacity=-1), "maximumAttendeeCapacity"),
    "huge capacity": (base_doc(maximumAttendeeCapacity=1_000_001), "maximumAttendeeCapacity"),
    "capacity not a number": (base_doc(maximumAttendeeCapacity="lots"), "maximumAttendeeCapacity"),
    "fractional capacity": (base_doc(maximumAttendeeCapacity=2.5), "maximumAttendeeCapacity"),
    "not an Event": (base_doc(type="Note"), "not an Event"),
    "no organizer": ({k: v for k, v in base_doc().items() if k not in ("actor", "attributedTo")}, "organizer"),
}


@pytest.mark.parametrize(("doc", "reason"), list(BAD.values()), ids=list(BAD))
def test_bad_events_are_refused_with_a_reason(doc: dict[str, Any], reason: str) -> None:
    with pytest.raises(VocabError, match=reason):
        parse_event(doc)


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(VocabError):
        parse_event(["Event"])  # type: ignore[arg-type]


def test_tolerated_oddities() -> None:
    doc = base_doc(
        name="x" * 5000,
        content=None,
        contentMap={"ar": "<p>مرحبا</p>"},
        inLanguage=None,
        maximumAttendeeCapacity="120",
        participantCount=-4,
        status="cancelled",
        **{"ical:status": None},
        joinMode="SOMETHING",
        published="yesterday",
        tag=["#Solidarité", {"type": "Hashtag", "name": "#solidarité"}, {"type": "Mention", "name": "@x"},
             {"type": "Hashtag", "name": "#" + "t" * 500}],
        to="https://www.w3.org/ns/activitystreams#Public",
        type=["Event", "schema:Event"],
        actor={"id": "https://asso.example/users/amina", "type": "Person"},
        location={"type": "Place", "name": "Square", "latitude": 200, "longitude": 2.0},
    )
    ev = parse_event(doc)
    assert len(ev.name) == 1000
    assert ev.content_html == "<p>مرحبا</p>" and ev.language == "ar"
    assert ev.capacity == 120 and ev.participant_count == 0
    assert ev.status == "CANCELLED" and ev.join_mode == "free"
    assert ev.published is None
    assert ev.tags == ("Solidarité", "t" * 100)
    assert ev.to == (PUBLIC,)
    assert ev.organizer == "https://asso.example/users/amina"
    assert ev.places == (Place(name="Square"),)  # out-of-range coordinates dropped


def test_midnight_to_midnight_from_a_peer_reads_as_all_day() -> None:
    doc = base_doc(startTime="2026-05-01T00:00:00+02:00", endTime="2026-05-03T00:00:00+02:00")
    ev = parse_event(doc)
    assert ev.all_day
    assert ev.start == datetime(2026, 5, 1, tzinfo=PARIS)
    assert ev.end == datetime(2026, 5, 2, 23, 59, 59, tzinfo=PARIS)


def test_url_on_another_host_is_not_trusted() -> None:
    ev = parse_event(base_doc(url="https://phish.example/events/7"))
    assert ev.url == BASE.id


def test_mobilizon_banner_name_is_not_alt_text() -> None:
    doc = base_doc(attachment=[{"type": "Document", "mediaType": "image/jpeg", "url": "https://m.example/b.jpg",
                                "name": "Banner"},
                               {"type": "Document", "mediaType": "image/png", "url": "https://m.example/other.png",
                                "name": "Other"}])
    ev = parse_event(doc)
    assert (ev.banner_url, ev.banner_alt, ev.banner_media_type) == ("https://m.example/b.jpg", "", "image/jpeg")


def test_non_image_documents_are_not_banners() -> None:
    doc = base_doc(attachment=[{"type": "Document", "mediaType": "application/pdf", "url": "https://m.example/a.pdf"}])
    assert parse_event(doc).banner_url is None


# ---------------------------------------------------------------- JSON-LD


@pytest.mark.parametrize("ev", list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))
def test_document_expands_offline(ev: EventData) -> None:
    expanded = jsonld.expand(event_document(ev))
    (node,) = expanded
    assert node["@type"] == ["https://www.w3.org/ns/activitystreams#Event"]
    assert "https://www.w3.org/ns/activitystreams#startTime" in node
    assert "https://joinmobilizon.org/ns#timezone" in node
    assert "http://www.w3.org/2002/12/cal/ical#status" in node
    assert "https://joinmobilizon.org/ns#joinMode" in node
    if ev.places:
        assert "http://schema.org#location" in node


def test_event_in_a_create_expands_offline() -> None:
    doc = event_document(BASE)
    create = {"@context": EVENT_CONTEXT, "id": BASE.id + "/activity", "type": "Create",
              "actor": BASE.organizer, "object": {k: v for k, v in doc.items() if k != "@context"}}
    jsonld.expand(create)


def test_context_is_not_mutated_by_building() -> None:
    before = copy.deepcopy(EVENT_CONTEXT)
    event_document(ROUND_TRIPS["several places, online and physical, banner, tags"])
    assert EVENT_CONTEXT == before
