"""Sites and methods are named as people name them, in French by default."""

from django.utils import translation

from interventions.labels import method_label, site_label, support_label


def test_codes_read_in_french():
    with translation.override("fr"):
        assert support_label("door") == "Porte"
        assert method_label("washing/painting") == "Nettoyage / Recouvrement par peinture"
        assert method_label("") == ""
        assert support_label("bench") == "bench"  # unknown codes shown as stored


def test_a_site_is_its_address_then_its_street_then_its_name():
    with translation.override("fr"):
        assert site_label(site_id=7, street="Rue Cloche Perse", support="door") == "Rue Cloche Perse (porte)"
        assert (
            site_label(site_id=7, address="12 rue Cloche Perse", street="Rue Cloche Perse", support="wall")
            == "12 rue Cloche Perse (mur)"
        )
        assert site_label(site_id=8400, name="Porte 8400", support="door") == "Porte 8400"
        assert site_label(site_id=3) == "Site 3"
