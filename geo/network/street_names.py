"""Street names as councils write them, made comparable with the network's road names.

A permit register writes "12 High St.", "HIGH STREET, Gillingham, ME7 1AA" or "St Mary's Rd";
the network (OSM ``name``) says "High Street" and "Saint Mary's Road". :func:`street_key`
turns each into one comparison key: lower case, punctuation and apostrophes dropped,
the usual Royal Mail / OS abbreviations of street types expanded ("Rd" -> "road"), and
a leading "St" read as "saint" (a trailing "St" is "street"). :func:`streets_in_address`
gives the candidate street names of a free-text address, most likely first.
"""

from __future__ import annotations

import re

#: Street-type abbreviations (Royal Mail PAF / OS AddressBase usage) -> the full word.
STREET_TYPE_WORDS: dict[str, str] = {
    "rd": "road",
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cl": "close",
    "cres": "crescent",
    "cresc": "crescent",
    "dr": "drive",
    "gdns": "gardens",
    "gdn": "garden",
    "pl": "place",
    "sq": "square",
    "tce": "terrace",
    "terr": "terrace",
    "ct": "court",
    "gr": "grove",
    "gro": "grove",
    "pk": "park",
    "pde": "parade",
    "hl": "hill",
    "wy": "way",
    "mt": "mount",
    "wk": "walk",
    "hwy": "highway",
    "bvd": "boulevard",
    "blvd": "boulevard",
    "cotts": "cottages",
    "est": "estate",
    "grn": "green",
    "mdws": "meadows",
    "nth": "north",
    "sth": "south",
    "upr": "upper",
    "lwr": "lower",
}
_LEADING_WORDS = {"st": "saint", "gt": "great", "lt": "little", "n": "north", "s": "south"}
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_HOUSE_NUMBER = re.compile(r"^\s*(flat\s+\w+\s+)?\d+[a-z]?(\s*-\s*\d+[a-z]?)?\s+", re.IGNORECASE)


def street_key(name: str) -> str:
    """The comparison key of a street name ("St. Mary's Rd" -> "saint marys road")."""
    text = name.lower().replace("'", "").replace("\u2019", "")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    out = []
    for i, word in enumerate(words):
        if i == 0 and len(words) > 1 and word in _LEADING_WORDS:
            out.append(_LEADING_WORDS[word])
        else:
            out.append(STREET_TYPE_WORDS.get(word, word))
    return " ".join(out)


def streets_in_address(address: str) -> list[str]:
    """Candidate street names in a free-text address, most likely first.

    The postcode and a leading house number are dropped; each comma-separated part
    is a candidate, in order ("12 High St, Gillingham, ME7 1AA" -> ["High St",
    "Gillingham"]). Empty parts are left out.
    """
    text = _POSTCODE.sub(" ", address)
    parts = []
    for part in text.split(","):
        part = _HOUSE_NUMBER.sub("", part).strip()
        if part and not part.isdigit():
            parts.append(part)
    return parts
