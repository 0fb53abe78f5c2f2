# Addresses (BAN) and the street names of the search box; the functions that give every
# report, intervention and site its human address on write (geo_fill_address trigger).

import django.contrib.gis.db.models.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
import geo.models.addresses
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

# unaccent() is only STABLE (its dictionary could change); an index needs an IMMUTABLE
# function, so a wrapper naming the dictionary explicitly (the usual PostgreSQL idiom).
FUNCTIONS = """
CREATE OR REPLACE FUNCTION geo_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

-- What a street is compared on: lower case, no accents, one space between words.
CREATE OR REPLACE FUNCTION geo_street_key(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT btrim(regexp_replace(lower(geo_unaccent($1)), '[^a-z0-9]+', ' ', 'g')) $$;

-- The words of a street that tell it apart, for the trigram index: its key without the
-- street types and articles every street shares ("rue", "avenue", "de", "la"…). Searched
-- on this, "avenue de la mairie" reads the streets of "mairie", not every "avenue de la …".
CREATE OR REPLACE FUNCTION geo_street_core(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT btrim(regexp_replace(regexp_replace(geo_street_key($1),
    '\\m(rue|r|avenue|av|ave|allee|all|chemin|ch|che|impasse|imp|place|pl|boulevard|bd|bld|route|rte|'
    'quai|square|sq|cours|crs|passage|pas|sentier|sente|ruelle|voie|lieu|dit|lotissement|lot|residence|res|'
    'hameau|ham|cite|de|la|le|les|du|des|d|l|au|aux|et|en|sur|sous|lès|les|a)\\M', ' ', 'g'), ' +', ' ', 'g')) $$;

-- An address written by geo_address_near() when no BAN address is within 30 m; such a text
-- is recomputed after an address import (a person's own words never are).
CREATE OR REPLACE FUNCTION geo_address_is_auto(text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT $1 = '' OR $1 LIKE 'près du %' OR $1 LIKE '% (à proximité)' $$;

-- The human address of a place (storage SRID, metres): the nearest BAN address within 30 m
-- ("12 bis Rue de la Paix"); else the nearest named street within 100 m, with the nearest
-- BAN number on it within 300 m ("près du 3 Rue de la Paix") or without
-- ("Rue de la Paix (à proximité)"); else ''. French: the BAN and the street names are.
CREATE OR REPLACE FUNCTION geo_address_near(p_community bigint, p_geom geometry) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    pt geometry;
    found text;
    street_name text;
BEGIN
    IF p_geom IS NULL OR ST_IsEmpty(p_geom) THEN
        RETURN '';
    END IF;
    pt := ST_PointOnSurface(p_geom);  -- a site may be a wall (line) or a park (polygon)
    SELECT a.label INTO found FROM geo_address a
     WHERE a.community_id = p_community AND ST_DWithin(a.geom, pt, 30)
     ORDER BY a.geom <-> pt LIMIT 1;
    IF found IS NOT NULL THEN
        RETURN found;
    END IF;
    SELECT s.name INTO street_name FROM geo_streetsegment s
     WHERE s.community_id = p_community AND s.name <> '' AND ST_DWithin(s.geom, pt, 100)
     ORDER BY s.geom <-> pt LIMIT 1;
    IF street_name IS NULL THEN
        RETURN '';
    END IF;
    SELECT a.label INTO found FROM geo_address a
     WHERE a.community_id = p_community AND ST_DWithin(a.geom, pt, 300)
       AND geo_street_key(a.street) = geo_street_key(street_name)
     ORDER BY a.geom <-> pt LIMIT 1;
    IF found IS NOT NULL THEN
        RETURN left('près du ' || found, 300);
    END IF;
    RETURN left(street_name || ' (à proximité)', 300);
END;
$$;

-- BEFORE INSERT/UPDATE on a table with (community_id, geom, address): fills an empty address,
-- and recomputes it when the place moves, if the address is always computed (trigger
-- argument 'computed': interventions, sites) or looks computed (reports, whose address a
-- person may have written).
CREATE OR REPLACE FUNCTION geo_fill_address() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- NULL: a raw COPY's empty CSV field (NOT NULL is checked after BEFORE triggers).
    IF NEW.address IS NULL OR NEW.address = ''
       OR (TG_OP = 'UPDATE' AND NEW.address = OLD.address
           AND (TG_ARGV[0] = 'computed' OR geo_address_is_auto(NEW.address))
           AND NOT ST_OrderingEquals(NEW.geom, OLD.geom)) THEN
        NEW.address := geo_address_near(NEW.community_id, NEW.geom);
    END IF;
    RETURN NEW;
END;
$$;
"""

FUNCTIONS_REVERSE = """
DROP FUNCTION IF EXISTS geo_fill_address();
DROP FUNCTION IF EXISTS geo_address_near(bigint, geometry);
DROP FUNCTION IF EXISTS geo_address_is_auto(text);
DROP FUNCTION IF EXISTS geo_street_core(text);
DROP FUNCTION IF EXISTS geo_street_key(text);
DROP FUNCTION IF EXISTS geo_unaccent(text);
"""

ASSET_TRIGGER = """
CREATE TRIGGER geo_asset_fill_address BEFORE INSERT OR UPDATE OF geom, address ON geo_asset
FOR EACH ROW EXECUTE FUNCTION geo_fill_address('computed');
"""
ASSET_TRIGGER_REVERSE = "DROP TRIGGER IF EXISTS geo_asset_fill_address ON geo_asset;"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_drop_duplicate_spatial_index"),
        ("geo", "0004_drop_duplicate_spatial_indexes"),
    ]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.AddField(
            model_name="asset",
            name="address",
            field=geo.models.addresses.AddressField(
                blank=True, db_default="", default="", max_length=300, verbose_name="address"
            ),
        ),
        migrations.CreateModel(
            name="Address",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("ban_id", models.CharField(blank=True, default="", max_length=64, verbose_name="BAN id")),
                ("number", models.PositiveIntegerField(verbose_name="number")),
                ("suffix", models.CharField(blank=True, default="", max_length=16, verbose_name="suffix")),
                ("street", models.CharField(max_length=200, verbose_name="street")),
                ("postcode", models.CharField(blank=True, default="", max_length=5, verbose_name="postcode")),
                ("commune", models.CharField(blank=True, default="", max_length=100, verbose_name="commune")),
                ("insee", models.CharField(blank=True, default="", max_length=5, verbose_name="INSEE code")),
                ("label", models.CharField(max_length=240, verbose_name="label")),
                ("street_key", models.CharField(max_length=320)),
                (
                    "geom",
                    django.contrib.gis.db.models.fields.PointField(
                        spatial_index=False, srid=2154, verbose_name="position"
                    ),
                ),
                (
                    "community",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="addresses",
                        to="accounts.community",
                    ),
                ),
            ],
            options={
                "verbose_name": "address",
                "verbose_name_plural": "addresses",
                "indexes": [
                    django.contrib.postgres.indexes.GistIndex(fields=["geom"], name="address_geom_gist"),
                    models.Index(fields=["community", "street_key", "number"], name="address_street_number"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("ban_id", ""), _negated=True),
                        fields=("community", "ban_id"),
                        name="address_ban_id_unique",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="StreetName",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("postcode", models.CharField(blank=True, default="", max_length=5, verbose_name="postcode")),
                ("commune", models.CharField(blank=True, default="", max_length=100, verbose_name="commune")),
                (
                    "source",
                    models.CharField(
                        choices=[("ban", "Address file"), ("network", "Street network")],
                        max_length=8,
                        verbose_name="source",
                    ),
                ),
                ("street_key", models.CharField(max_length=320)),
                ("search", models.TextField()),
                ("core", models.TextField()),
                (
                    "geom",
                    django.contrib.gis.db.models.fields.PointField(
                        spatial_index=False, srid=2154, verbose_name="position"
                    ),
                ),
                (
                    "community",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="street_names",
                        to="accounts.community",
                    ),
                ),
            ],
            options={
                "verbose_name": "street name",
                "verbose_name_plural": "street names",
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["core"], opclasses=["gin_trgm_ops"], name="street_name_core_trgm"
                    ),
                    models.Index(fields=["community", "street_key"], name="street_name_key"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("source__in", ["ban", "network"])),
                        name="street_name_source_valid",
                    )
                ],
            },
        ),
        migrations.RunSQL(FUNCTIONS, FUNCTIONS_REVERSE),
        migrations.RunSQL(ASSET_TRIGGER, ASSET_TRIGGER_REVERSE),
    ]
