"""Places on the wire: an AS2 `Place` with a schema.org `PostalAddress`, as Mobilizon writes it, read
tolerantly from what Mobilizon, Gancio and others send, and said in one line."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from federation.fields import clean

MAX_FIELD: Final = 500  # the longest text kept of one field of a remote place


@dataclass(frozen=True)
class Place:
    name: str
    street: str = ""
    postal_code: str = ""
    locality: str = ""
    region: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None


def place_line(place: Place, *, street: bool = True) -> str:
    """The place in one line: name, street (unless `street` is false), town, country, no repeats."""
    parts: list[str] = []
    town = f"{place.postal_code} {place.locality}".strip() or place.region
    for part in (place.name, place.street if street else "", town, place.country):
        part = part.strip()
        if part and all(part.casefold() != seen.casefold() for seen in parts):
            parts.append(part)
    return ", ".join(parts)


def place_document(place: Place) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Place", "name": place.name}
    address = {
        key: value
        for key, value in (
            ("streetAddress", place.street),
            ("postalCode", place.postal_code),
            ("addressLocality", place.locality),
            ("addressRegion", place.region),
            ("addressCountry", place.country),
        )
        if value
    }
    if address:  # Gancio uses the name as the address when there is none
        doc["address"] = {"type": "PostalAddress", **address}
    if place.latitude is not None and place.longitude is not None:
        doc["latitude"] = place.latitude
        doc["longitude"] = place.longitude
    return doc


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


POSTAL_KEYS: Final = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")


def parse_place(item: Mapping[str, Any]) -> Place | None:
    name = clean(item.get("name"), MAX_FIELD)
    street = postal = locality = region = country = ""
    address = item.get("address")
    if isinstance(address, str):  # Gancio: one line of text
        street = clean(address, MAX_FIELD)
        if street.casefold() == name.casefold():
            street = ""
    elif isinstance(address, Mapping):
        street, postal, locality, region, country = (clean(address.get(k), MAX_FIELD) for k in POSTAL_KEYS)
    if not name:
        name = street or locality or region or country
    if not name:
        return None
    nested = item.get("geo")  # old Mobilizon: {"geo": {"type": "GeoCoordinates", ...}}
    geo: Mapping[str, Any] = nested if isinstance(nested, Mapping) else item
    latitude = _coordinate(geo.get("latitude"), 90)
    longitude = _coordinate(geo.get("longitude"), 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    return Place(name=name, street=street, postal_code=postal, locality=locality, region=region,
                 country=country, latitude=latitude, longitude=longitude)
