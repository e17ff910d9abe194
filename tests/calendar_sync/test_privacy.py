"""The CPR detector: real CPR shapes are caught; impossible dates and phone numbers are not."""

from __future__ import annotations

import pytest

from calendar_sync.privacy import PrivacyError, check_meeting_texts, find_cpr


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("010190-1234", "010190-1234"),
        ("0101901234", "0101901234"),
        ("Barn med CPR 241287-4321 drøftes", "241287-4321"),
        ("cpr:2412874321.", "2412874321"),
        ("310599 1234", "310599 1234"),  # a space, as typed
        ("290200-1234", "290200-1234"),  # 29 February 2000
        ("150310–1234", "150310–1234"),  # en dash, as word processors write it
    ],
)
def test_cpr_found(text: str, found: str) -> None:
    assert find_cpr(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "320199-1234",  # no 32nd day
        "011390-1234",  # no 13th month
        "000190-1234",  # no day 0
        "310499-1234",  # 31 April
        "300299-1234",  # 30 February
        "Tlf. 44 77 00 00",
        "tlf. 4477 0000",
        "44770000",
        "+45 44770000",
        "+4544770000",
        "0045 4477 0000",
        "Sag 2027-0312345",
        "12345678901234",  # part of a longer number
        "010190-12345",  # ditto
        "Koordineringskonference 13:00-15:00, lokale 2.14",
        "",
    ],
)
def test_not_cpr(text: str) -> None:
    assert find_cpr(text) is None


def test_check_meeting_texts_names_uid_and_field_without_the_number() -> None:
    check_meeting_texts("m1", {"SUMMARY": "Koordineringskonference", "LOCATION": "Magleparken 8"})
    with pytest.raises(PrivacyError) as caught:
        check_meeting_texts("m1", {"SUMMARY": "Møde", "DESCRIPTION": "Om 010190-1234"})
    assert (caught.value.meeting_uid, caught.value.field) == ("m1", "DESCRIPTION")
    assert "m1" in str(caught.value) and "DESCRIPTION" in str(caught.value)
    assert "010190" not in str(caught.value)
