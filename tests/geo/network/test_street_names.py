"""Street names as registers write them vs the network's names."""

import pytest

from geo.network.street_names import street_key, streets_in_address


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Gordon Rd", "gordon road"),
        ("GORDON ROAD", "gordon road"),
        ("Gordon Rd.", "gordon road"),
        ("High St", "high street"),
        ("St Mary's Rd", "saint marys road"),
        ("St. Marys Road", "saint marys road"),
        ("Saint Mary’s Road", "saint marys road"),
        ("Canterbury  St,", "canterbury street"),
        ("Oxford Cl", "oxford close"),
        ("Rochester Gdns", "rochester gardens"),
        ("Maidstone Rd (A230)", "maidstone road a230"),
    ],
)
def test_street_key_normalises_case_punctuation_and_abbreviations(written, key):
    assert street_key(written) == key


def test_street_key_keeps_st_alone_as_a_word():
    assert street_key("St") == "street"  # a lone word is not a leading "Saint"


def test_streets_in_address_drops_house_number_and_postcode():
    assert streets_in_address("21 Gordon Rd, Gillingham, ME7 4AB") == ["Gordon Rd", "Gillingham"]
    assert streets_in_address("Flat 2 14a High Street, Chatham ME4 4AA") == [
        "High Street",
        "Chatham",
    ]
    assert streets_in_address("12-14 Canterbury St") == ["Canterbury St"]
    assert streets_in_address("ME7 4AB") == []
