-- 10-util.sql: Small helpers shared by the other files: money as text,
-- refusals, dates, household lists, the unknown-village answer.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

CREATE OR REPLACE FUNCTION fupin.yuan(n numeric)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN n IS NULL THEN 'unknown'
	WHEN n = trunc(n) THEN trunc(n)::text ELSE n::text END $$;

CREATE OR REPLACE FUNCTION fupin.refuse(code text, msg text,
    extra jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$ SELECT jsonb_build_object('ok', false, 'error', code, 'message', msg)
	|| extra $$;

-- The GB 11643-1999 check character owed by the first 17 digits of id.
CREATE OR REPLACE FUNCTION fupin.person_id_check_char(id text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT CASE WHEN id ~ '^[0-9]{17}' THEN substr('10X98765432',
    (SELECT sum(substr(id, x.i::int, 1)::int * x.w)::int % 11 + 1
     FROM unnest(ARRAY[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
	WITH ORDINALITY AS x(w, i)), 1) END
$$;

-- A YYYY-MM-DD text as a date, or NULL when it is none: user input never
-- turns into an SQL error.
CREATE OR REPLACE FUNCTION fupin.date_or_null(t text)
RETURNS date
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF t IS NULL OR t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
		RETURN NULL;
	END IF;
	RETURN make_date(substr(t, 1, 4)::int, substr(t, 6, 2)::int,
	    substr(t, 9, 2)::int);
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
	RETURN NULL;
END
$$;

-- "2019-10-21 00:00" in Asia/Shanghai whatever the session's time zone.
CREATE OR REPLACE FUNCTION fupin.local_text(t timestamptz)
RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT to_char(t AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') $$;

-- A due moment as people say it: the plan's "10月20日前" is due at
-- 2019-10-21 00:00, shown as "10月20日24时" (zh) or "Oct 20 24:00" (en);
-- another time of day as itself ("10月20日18:00"). The year is shown when
-- it is not the campaign's (year NULL: never).
CREATE OR REPLACE FUNCTION fupin.day_text(t timestamptz, zh boolean,
    year int DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE
AS $$
SELECT CASE WHEN zh THEN
	CASE WHEN year IS NOT NULL AND extract(year FROM d) <> year
	    THEN to_char(d, 'FMYYYY"年"') ELSE '' END ||
	to_char(d, 'FMMM"月"FMDD"日"') ||
	CASE WHEN midnight THEN '24时' ELSE to_char(l, 'HH24:MI') END
    ELSE to_char(d, 'Mon FMDD') ||
	CASE WHEN year IS NOT NULL AND extract(year FROM d) <> year
	    THEN to_char(d, ', YYYY') ELSE '' END ||
	CASE WHEN midnight THEN ' 24:00' ELSE to_char(l, ' HH24:MI') END
    END
FROM (SELECT t AT TIME ZONE 'Asia/Shanghai' AS l) x,
    LATERAL (SELECT l::time = '00:00' AS midnight) y,
    LATERAL (SELECT CASE WHEN midnight THEN l::date - 1 ELSE l::date END
	AS d) z
$$;

-- The year of a campaign, for fupin.day_text.
CREATE OR REPLACE FUNCTION fupin.campaign_year(c text)
RETURNS int
LANGUAGE sql STABLE
AS $$ SELECT year FROM fupin.campaign WHERE campaign_id = c $$;

-- The part of a bilingual title ("村级公示 / village notice") for people
-- of one language.
CREATE OR REPLACE FUNCTION fupin.title_part(t text, zh boolean)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE WHEN position(' / ' IN t) = 0 THEN t
    WHEN zh THEN split_part(t, ' / ', 1)
    ELSE substr(t, position(' / ' IN t) + 3) END
$$;

-- Households for people: the first 20 ids, then how many more. A single
-- expression without FROM, so that the planner inlines it: the sweep
-- calls it for every step of every alert.
CREATE OR REPLACE FUNCTION fupin.household_list(ids text[], zh boolean)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE WHEN cardinality(ids) = 0 THEN ''
	WHEN cardinality(ids) <= 20 THEN array_to_string(ids,
	    CASE WHEN zh THEN '、' ELSE ', ' END)
	ELSE array_to_string(ids[1:20], CASE WHEN zh THEN '、' ELSE ', ' END) ||
	    CASE WHEN zh THEN format('等%s户', cardinality(ids))
	    ELSE format(' and %s more', cardinality(ids) - 20) END
	END
$$;

-- The refusal for a village filter that names no village; NULL otherwise
-- (no filter, or a known village). Readers answer coalesce(this, ...).
CREATE OR REPLACE FUNCTION fupin.unknown_village(v text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
SELECT fupin.refuse('unknown', format('no village %s', v))
WHERE v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM fupin.village
    WHERE village_id = v)
$$;

-- The distinct ids of lists joined by U+001F, sorted: the union of the
-- household lists of several groups.
CREATE OR REPLACE FUNCTION fupin.ids_union(joined text)
RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}')
FROM unnest(string_to_array(joined, E'\x1f')) x WHERE x <> ''
$$;

-- Who a party is, for people.
CREATE OR REPLACE FUNCTION fupin.party_name(party text, zh boolean)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE party
    WHEN 'township' THEN CASE WHEN zh THEN '镇扶贫办' ELSE 'the township poverty office' END
    WHEN 'city' THEN CASE WHEN zh THEN '市扶贫开发领导小组' ELSE 'the city leading group' END
    ELSE CASE WHEN zh THEN '村工作队' ELSE 'the village work team' END END
$$;

-- The party an alert is for, from its key: keys of the village party are
-- those the alerts had before parties existed (an upgrade sends nothing
-- twice); the others end in ":township" or ":city".
CREATE OR REPLACE FUNCTION fupin.alert_party(alert_key text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE WHEN alert_key ~ ':(township|city)$'
    THEN substring(alert_key FROM '([a-z]+)$') ELSE 'village' END
$$;

-- "第二阶段" from "第二阶段：……": how people name a stage.
CREATE OR REPLACE FUNCTION fupin.short_title(t text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT split_part(split_part(t, '：', 1), ': ', 1) $$;
