-- DuckDB compatibility pack: Trino (Athena engine v3) function names that DuckDB lacks or spells
-- differently, defined as DuckDB macros so one SQL text per model runs on both engines.
-- This file is DuckDB SQL (CREATE MACRO), not Trino: it is the only file in sql/ the Trino grammar
-- test skips. A macro shadows the builtin of the same name for every arity; the builtin stays
-- reachable as system.main.<name>(...).
--
-- Behaviour differences written around in the models rather than here:
-- * date_trunc on a DATE returns TIMESTAMP on DuckDB: models write cast(date_trunc(...) as date).
-- * DATE + INTERVAL returns TIMESTAMP on DuckDB: models wrap it in cast(... as date).
-- * `/` on integers: the engine runs with SET integer_division = true, so 7 / 2 = 3 as on Trino.

-- day_of_week(d): ISO day of the week, 1 = Monday .. 7 = Sunday.
create or replace macro day_of_week(d) as isodow(d);

-- last_day_of_month(d): the last day of d's month, as a DATE.
create or replace macro last_day_of_month(d) as last_day(d);

-- bitwise_and(x, y): bitwise AND of two integers.
create or replace macro bitwise_and(x, y) as (x & y);

-- bitwise_or(x, y): bitwise OR of two integers.
create or replace macro bitwise_or(x, y) as (x | y);

-- bit_count(x, bits): number of set bits of x (Trino takes the width; DuckDB's builtin does not).
create or replace macro bit_count(x, bits) as cast(system.main.bit_count(cast(x as bigint)) as bigint);

-- cardinality(a): number of elements of an array.
create or replace macro cardinality(a) as cast(len(a) as bigint);

-- regexp_like(s, pattern): true when the pattern matches anywhere in s.
create or replace macro regexp_like(s, pattern) as regexp_matches(s, pattern);

-- date_add(unit, n, t): t moved by n units. On DuckDB the result is a TIMESTAMP even for a DATE
-- (see above): write cast(date_add('day', n, d) as date) where a DATE is wanted.
create or replace macro date_add(unit, n, t) as
  t + case lower(unit)
    when 'millisecond' then to_milliseconds(cast(n as bigint))
    when 'second' then to_seconds(cast(n as bigint))
    when 'minute' then to_minutes(cast(n as bigint))
    when 'hour' then to_hours(cast(n as bigint))
    when 'day' then to_days(cast(n as integer))
    when 'week' then to_weeks(cast(n as integer))
    when 'month' then to_months(cast(n as integer))
    when 'quarter' then to_months(cast(n * 3 as integer))
    when 'year' then to_years(cast(n as integer))
  end;
