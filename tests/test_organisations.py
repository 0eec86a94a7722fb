"""Organisation settings (attendance.organisations): SIRET, images, all-or-nothing saves."""

import io

import pytest
from PIL import Image

from attendance.extensions import db
from attendance.models import DEFAULT_PAYMENT_TERMS_FR
from attendance.organisations import (
    SettingsRefused,
    create_organisation,
    image_png,
    normalise_siret,
    update_settings,
)
from tests.factories import gen_org, tiny_png

VALID_SIRET = "73282932000074"


def test_a_siret_with_spaces_is_kept_as_its_14_digits():
    assert normalise_siret("732 829 320 00074") == VALID_SIRET


@pytest.mark.parametrize("siret", ["73282932000075", "7328293200007", "ABCDEFGHIJKLMN", ""])
def test_a_siret_failing_the_luhn_check_or_the_length_is_refused_in_french(siret):
    with pytest.raises(SettingsRefused) as refused:
        normalise_siret(siret)
    assert refused.value.details["fields"]["siret"].startswith("SIRET invalide")


def test_one_refused_field_saves_nothing(app):
    org = gen_org("Avant", signatory_name="Claire")
    db.session.commit()
    with pytest.raises(SettingsRefused) as refused:
        update_settings(
            db.session, org, {"name": "Après", "signatory_name": "Paul", "siret": "12345678901234"}
        )
    db.session.rollback()
    assert set(refused.value.details["fields"]) == {"siret"}
    db.session.refresh(org)
    assert (org.name, org.signatory_name) == ("Avant", "Claire")


def test_the_siret_of_another_organisation_is_refused(app):
    gen_org(siret=VALID_SIRET)
    org = gen_org()
    with pytest.raises(SettingsRefused) as refused:
        update_settings(db.session, org, {"siret": VALID_SIRET})
    assert "existe déjà" in refused.value.details["fields"]["siret"]


def test_numbers_and_vat_are_checked_against_their_bounds(app):
    org = gen_org()
    with pytest.raises(SettingsRefused) as refused:
        update_settings(
            db.session,
            org,
            {"retention_years": "2", "reminder_trainee_delay_minutes": "dix", "vat_exempt": False,
             "vat_rate": "abc", "reminder_trainer_delay_minutes": "²"},
        )  # fmt: skip
    assert set(refused.value.details["fields"]) == {
        "retention_years", "reminder_trainee_delay_minutes", "vat_rate",
        "reminder_trainer_delay_minutes",
    }  # fmt: skip
    update_settings(
        db.session, org, {"retention_years": "8", "vat_exempt": False, "vat_rate": "20"}
    )
    assert org.retention_years == 8 and not org.vat_exempt and org.vat_rate == 20


def test_a_new_organisation_gets_the_default_payment_terms(app):
    org = create_organisation(db.session, "Nouvel OF", "732 829 320 00074")
    db.session.commit()
    db.session.expire_all()
    assert org.siret == VALID_SIRET and org.payment_terms == DEFAULT_PAYMENT_TERMS_FR


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (200, 20, 20)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_jpeg_stamp_is_stored_as_a_png_scaled_down_for_print():
    stored = image_png("stamp", _jpeg())
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and max(image.size) == 800


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 pas une image", b"GIF89a" + b"\x00" * 40, tiny_png()[:30], b""],
    ids=["pdf", "gif", "truncated-png", "empty"],
)
def test_a_file_that_is_not_a_png_or_jpeg_is_refused_whatever_its_name(content):
    with pytest.raises(SettingsRefused) as refused:
        image_png("stamp", content)
    assert refused.value.details["fields"]["stamp"].startswith("Cachet : ")


def test_an_oversized_image_is_refused_before_being_decoded():
    with pytest.raises(SettingsRefused) as refused:
        image_png("signature", tiny_png() + b"\x00" * (3 * 1024 * 1024))
    assert "trop lourd" in refused.value.details["fields"]["signature"]
