-- Seeded pseudo-random numbers for the national generator: a hash of the seed and a row's
-- coordinates, so any row can be regenerated on its own and the same seed gives the same files.
create or replace temp macro nat_u(a, b, c, d) as (hash(a, b, c, d) % 1000003) / 1000003.0;

-- A rough normal deviate (sum of three uniforms), enough for marks around a pupil's ability.
create or replace temp macro nat_n(a, b, c, d) as
    (nat_u(a, b, c, d) + nat_u(a, b, c, d + 7919) + nat_u(a, b, c, d + 104729) - 1.5) * 2.0;
