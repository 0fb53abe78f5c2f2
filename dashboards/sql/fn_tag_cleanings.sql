-- dashboards_tag_cleanings: the done tag removals of one community ended in [p_from, p_to),
-- from the recurrence facts (dashboards_cleaningfact, see refresh_facts.sql), with costs
-- computed now so that a changed hourly cost or product price shows at once.
--   next_at    when the site was tagged again (next tag removal or report); NULL if not yet
--   is_return  the site had been cleaned before
--   labour_cost  minutes/60 × team hourly cost (EUR per agent) × agents (at least 1);
--              p_costs->>'hourly_cost' when there is no team (default 35 EUR)
--   product_cost m² × p_costs->'product_costs'->>product, else p_costs->>'product_cost_per_m2'
-- Filters: p_categories (NULL = every tag category), p_team, p_zone (a Zone id of the same
-- community; removals whose position is inside it). district_id, street: see the facts.
CREATE OR REPLACE FUNCTION dashboards_tag_cleanings(
    p_community bigint,
    p_from timestamptz,
    p_to timestamptz,
    p_categories bigint[] DEFAULT NULL,
    p_team bigint DEFAULT NULL,
    p_zone bigint DEFAULT NULL,
    p_costs jsonb DEFAULT '{}'::jsonb
) RETURNS TABLE (
    id bigint,
    asset_id bigint,
    team_id bigint,
    ended_at timestamptz,
    next_at timestamptz,
    is_return boolean,
    surface_m2 numeric,
    minutes double precision,
    labour_cost numeric,
    product_cost numeric,
    offensive boolean,
    reported_at timestamptz,
    geom geometry,
    district_id bigint,
    street text
) LANGUAGE sql STABLE AS $fn$
    SELECT f.intervention_id, f.asset_id, f.team_id, f.ended_at, f.next_at, f.is_return,
           f.surface_m2, f.minutes,
           (f.minutes::numeric / 60
               * COALESCE(t.hourly_cost, (p_costs ->> 'hourly_cost')::numeric, 35)
               * f.agents) AS labour_cost,
           (COALESCE(f.surface_m2, 0)
               * COALESCE((p_costs -> 'product_costs' ->> f.product)::numeric,
                          (p_costs ->> 'product_cost_per_m2')::numeric, 0)) AS product_cost,
           f.offensive, f.reported_at, f.geom, f.district_id, f.street::text
    FROM dashboards_cleaningfact AS f
    LEFT JOIN accounts_team AS t ON t.id = f.team_id
    WHERE f.community_id = p_community
      AND f.ended_at >= p_from AND f.ended_at < p_to
      AND (p_categories IS NULL OR f.category_id = ANY (p_categories))
      AND (p_team IS NULL OR f.team_id = p_team)
      -- A district is resolved at rebuild time; other zones (sectors…) by geometry.
      AND (p_zone IS NULL OR f.district_id = p_zone OR EXISTS (
          SELECT 1 FROM geo_zone AS z
          WHERE z.id = p_zone AND z.community_id = p_community AND z.kind <> 'district'
            AND ST_Intersects(z.geom, f.geom)))
$fn$;
