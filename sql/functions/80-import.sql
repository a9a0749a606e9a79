-- 80-import.sql: fupinctl import: staging tables, checks, and the all-or-
-- nothing apply with a field-level audit.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

-- 003_import.sql: the set-based half of fupinctl import.
--
-- fupinctl validates every row in C, then in one transaction:
--   SELECT fupin.import_stage(KIND);          -- TEMP staging table
--   COPY pg_temp.import_KIND (...) FROM STDIN; -- rows carry their CSV line
--   SELECT * FROM fupin.import_KIND_check(present, codes); -- what only
--                                            -- the database can know, per line
--   SELECT * FROM fupin.import_KIND(actor);  -- upsert + audit, counts
--   COMMIT (or ROLLBACK when a check found anything).
-- present lists the staging columns the file really had: a column left out
-- of the file keeps the value already stored instead of being wiped.
-- codes maps, per staging column, every form a value may take in the file
-- (the national export's Chinese, ASCII lower-cased) to the code stored:
-- {"relapse_reason": {"因病": "illness", "illness": "illness", ...}};
-- fupinctl builds it from campaign.conf's code lists.
--
-- Every insert or changed row is audited in fupin.transition (role and
-- event 'import', workflow NULL, note 'insert' or 'update') with the
-- changed fields in detail: {"income_per_capita": {"old": 3512.00, "new":
-- 3800.00}}; an insert lists every field it set, with old null.  The key
-- (household_id, village_id) is the row's own column, not repeated in
-- detail; a member's detail names the person: {"person_id": "...", ...}.  A row that is
-- identical to what is stored is neither written nor audited, so importing
-- the same file twice changes nothing.

-- The fields of new that differ from old, as {"field": {"old":…, "new":…}}.
-- old NULL (an insert) gives every field of new with old null.
-- plpgsql, not sql: an aggregate keeps a sql function from being inlined,
-- and a sql function that is not inlined is planned again on every call
-- (100k calls cost seconds); plpgsql keeps its plan.
CREATE OR REPLACE FUNCTION fupin.import_diff(old jsonb, new jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
	RETURN (SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_object(
		    'old', coalesce(old -> n.key, 'null'::jsonb),
		    'new', n.value)), '{}'::jsonb)
	    FROM jsonb_each(new) AS n
	    WHERE old -> n.key IS DISTINCT FROM n.value);
END
$$;

-- The staging table of one import, typed like its target so that values
-- compare exactly (numeric(12,2) against numeric(12,2)).  Dropped at
-- commit or rollback.
CREATE OR REPLACE FUNCTION fupin.import_stage(kind text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	CASE kind
	WHEN 'villages' THEN
		CREATE TEMP TABLE import_village (
			line		int PRIMARY KEY,
			village_id	text NOT NULL UNIQUE,
			name		text NOT NULL,
			township	text NOT NULL
		) ON COMMIT DROP;
	WHEN 'households' THEN
		CREATE TEMP TABLE import_household (
			line			int PRIMARY KEY,
			household_id		text NOT NULL UNIQUE,
			village_id		text NOT NULL,
			group_name		text,
			head_name		text NOT NULL,
			size			int NOT NULL,
			category		text NOT NULL,
			identified_year		int,
			lifted_year		int,
			income_per_capita	numeric(12,2),
			food			boolean NOT NULL,
			clothing		boolean NOT NULL,
			education		boolean NOT NULL,
			medical			boolean NOT NULL,
			housing			boolean NOT NULL,
			risk			text,
			relapse_reason		text,
			relapse_year		int
		) ON COMMIT DROP;
	WHEN 'members' THEN
		CREATE TEMP TABLE import_member (
			line		int PRIMARY KEY,
			person_id	text NOT NULL UNIQUE,
			household_id	text NOT NULL,
			name		text NOT NULL,
			relation	text NOT NULL DEFAULT '',
			birth_date	date,
			change		text NOT NULL DEFAULT '',
			change_reason	text,
			change_date	date,
			-- a natural decrease takes the person off the household
			removed		boolean GENERATED ALWAYS AS
			    (change = 'decrease') STORED
		) ON COMMIT DROP;
	ELSE
		RAISE EXCEPTION 'unknown import kind %', kind
		    USING ERRCODE = 'invalid_parameter_value';
	END CASE;
	-- Created by the owner (99-access.sql): the importer may only fill it.
	EXECUTE format('GRANT INSERT ON pg_temp.%I TO fupin_import',
	    'import_' || rtrim(kind, 's'));
END
$$;

-- The code-list columns of the staging table tbl that the file has:
-- every value must be one of the forms in codes (else its line and
-- column are reported), and is replaced by its code.
CREATE OR REPLACE FUNCTION fupin.import_codes(tbl text, present text[],
    codes jsonb)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c text;
	allowed text;
BEGIN
	FOR c IN SELECT k FROM jsonb_object_keys(coalesce(codes, '{}')) k
	    WHERE k = ANY (present) ORDER BY k
	LOOP
		SELECT string_agg(DISTINCT v, ', ') INTO allowed
		FROM jsonb_each_text(codes->c) AS x(f, v);
		RETURN QUERY EXECUTE format('SELECT s.line, %L::text, '
		    'format(''unknown value ''''%%s'''': not in the campaign''''s '
		    'list (%%s)'', s.%I, %L::text) FROM pg_temp.%I s '
		    'WHERE nullif(btrim(s.%I), '''') IS NOT NULL AND '
		    'NOT ($1 ? lower(btrim(s.%I)))', c, c, allowed, tbl, c, c)
		    USING codes->c;
		EXECUTE format('UPDATE pg_temp.%I s SET %I = $1->>lower(btrim(s.%I)) '
		    'WHERE $1 ? lower(btrim(s.%I))', tbl, c, c, c)
		    USING codes->c;
	END LOOP;
END
$$;

-- The check functions took only present before the code lists.
DROP FUNCTION IF EXISTS fupin.import_villages_check(text[]);
DROP FUNCTION IF EXISTS fupin.import_households_check(text[]);
DROP FUNCTION IF EXISTS fupin.import_members_check(text[]);

CREATE OR REPLACE FUNCTION fupin.import_villages_check(present text[],
    codes jsonb)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- Every column is required and C checked every value: nothing here
	-- yet, but the same shape as the others keeps fupinctl simple.
	RETURN;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_villages(actor text,
    OUT inserted bigint, OUT updated bigint, OUT unchanged bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- Held to commit: the old values in the audit stay the stored ones.
	LOCK TABLE fupin.village IN SHARE ROW EXCLUSIVE MODE;

	CREATE TEMP TABLE import_change ON COMMIT DROP AS
	SELECT s.line, s.village_id, v.village_id IS NULL AS is_new,
	    CASE WHEN v.village_id IS NULL
	    THEN fupin.import_diff(NULL,
		jsonb_strip_nulls(to_jsonb(s) - 'line' - 'village_id'))
	    ELSE fupin.import_diff(to_jsonb(v) - 'village_id',
		to_jsonb(s) - 'line' - 'village_id')
	    END AS detail
	FROM pg_temp.import_village s
	LEFT JOIN fupin.village v ON v.village_id = s.village_id
	WHERE v.village_id IS NULL OR
	    (v.name, v.township) IS DISTINCT FROM (s.name, s.township);

	INSERT INTO fupin.village AS v (village_id, name, township)
	SELECT s.village_id, s.name, s.township
	FROM pg_temp.import_village s JOIN import_change c USING (line)
	ON CONFLICT (village_id) DO UPDATE
	SET name = excluded.name, township = excluded.township;

	INSERT INTO fupin.transition (village_id, event, actor, role, at, note,
	    detail)
	SELECT c.village_id, 'import', actor, 'import', fupin.clock_now(),
	    CASE WHEN c.is_new THEN 'insert' ELSE 'update' END, c.detail
	FROM import_change c
	ORDER BY c.line;

	SELECT count(*) FILTER (WHERE c.is_new),
	    count(*) FILTER (WHERE NOT c.is_new)
	INTO inserted, updated
	FROM import_change c;
	unchanged := (SELECT count(*) FROM pg_temp.import_village) -
	    inserted - updated;
	DROP TABLE import_change;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_households_check(present text[],
    codes jsonb)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- Optional columns the file left out keep their stored values.
	IF NOT ARRAY['group_name', 'identified_year', 'lifted_year',
	    'income_per_capita', 'risk', 'relapse_reason',
	    'relapse_year'] <@ present THEN
		UPDATE pg_temp.import_household s SET
		    group_name = CASE WHEN 'group_name' = ANY (present)
			THEN s.group_name ELSE h.group_name END,
		    identified_year = CASE WHEN 'identified_year' = ANY (present)
			THEN s.identified_year ELSE h.identified_year END,
		    lifted_year = CASE WHEN 'lifted_year' = ANY (present)
			THEN s.lifted_year ELSE h.lifted_year END,
		    income_per_capita = CASE
			WHEN 'income_per_capita' = ANY (present)
			THEN s.income_per_capita ELSE h.income_per_capita END,
		    risk = CASE WHEN 'risk' = ANY (present)
			THEN s.risk ELSE h.risk END,
		    relapse_reason = CASE WHEN 'relapse_reason' = ANY (present)
			THEN s.relapse_reason ELSE h.relapse_reason END,
		    relapse_year = CASE WHEN 'relapse_year' = ANY (present)
			THEN s.relapse_year ELSE h.relapse_year END
		FROM fupin.household h
		WHERE h.household_id = s.household_id;
	END IF;

	RETURN QUERY
	SELECT p.line, p.col, p.reason FROM (
		SELECT x.line, x.col, x.reason
		FROM fupin.import_codes('import_household', present, codes) x
		UNION ALL
		SELECT s.line, 'relapse_year',
		    format('relapse year %s before the lifted year %s',
			s.relapse_year, s.lifted_year)
		FROM pg_temp.import_household s
		WHERE s.relapse_year < s.lifted_year
		UNION ALL
		SELECT s.line, 'village_id' AS col,
		    format('unknown village %s', s.village_id) AS reason
		FROM pg_temp.import_household s
		WHERE NOT EXISTS (SELECT FROM fupin.village v
		    WHERE v.village_id = s.village_id)
		UNION ALL
		SELECT s.line, 'relapse_reason',
		    'a relapsed household needs the reason it fell back'
		FROM pg_temp.import_household s
		WHERE s.category = 'relapsed' AND
		    coalesce(btrim(s.relapse_reason), '') = ''
	) AS p
	ORDER BY p.line, p.col;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_households(actor text,
    OUT inserted bigint, OUT updated bigint, OUT unchanged bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- Held to commit: the old values in the audit stay the stored ones,
	-- and a concurrent import waits instead of interleaving.
	LOCK TABLE fupin.household IN SHARE ROW EXCLUSIVE MODE;

	CREATE TEMP TABLE import_change ON COMMIT DROP AS
	SELECT s.line, s.household_id, s.village_id,
	    h.household_id IS NULL AS is_new,
	    CASE WHEN h.household_id IS NULL
	    THEN fupin.import_diff(NULL,
		jsonb_strip_nulls(to_jsonb(s) - 'line' - 'household_id'))
	    ELSE fupin.import_diff(to_jsonb(h) - 'updated_at' - 'household_id',
		to_jsonb(s) - 'line' - 'household_id')
	    END AS detail
	FROM pg_temp.import_household s
	LEFT JOIN fupin.household h ON h.household_id = s.household_id
	WHERE h.household_id IS NULL OR
	    (h.village_id, h.group_name, h.head_name, h.size, h.category,
	     h.identified_year, h.lifted_year, h.income_per_capita, h.food,
	     h.clothing, h.education, h.medical, h.housing, h.risk,
	     h.relapse_reason, h.relapse_year) IS DISTINCT FROM
	    (s.village_id, s.group_name, s.head_name, s.size, s.category,
	     s.identified_year, s.lifted_year, s.income_per_capita, s.food,
	     s.clothing, s.education, s.medical, s.housing, s.risk,
	     s.relapse_reason, s.relapse_year);

	-- Villager groups named by the file come into being with it.
	INSERT INTO fupin.villager_group (village_id, name)
	SELECT DISTINCT s.village_id, s.group_name
	FROM pg_temp.import_household s JOIN import_change c USING (line)
	WHERE s.group_name IS NOT NULL
	ON CONFLICT DO NOTHING;

	INSERT INTO fupin.household AS h (household_id, village_id, group_name,
	    head_name, size, category, identified_year, lifted_year,
	    income_per_capita, food, clothing, education, medical, housing,
	    risk, relapse_reason, relapse_year)
	SELECT s.household_id, s.village_id, s.group_name, s.head_name,
	    s.size, s.category, s.identified_year, s.lifted_year,
	    s.income_per_capita, s.food, s.clothing, s.education, s.medical,
	    s.housing, s.risk, s.relapse_reason, s.relapse_year
	FROM pg_temp.import_household s JOIN import_change c USING (line)
	ON CONFLICT (household_id) DO UPDATE SET
	    village_id = excluded.village_id,
	    group_name = excluded.group_name,
	    head_name = excluded.head_name,
	    size = excluded.size,
	    category = excluded.category,
	    identified_year = excluded.identified_year,
	    lifted_year = excluded.lifted_year,
	    income_per_capita = excluded.income_per_capita,
	    food = excluded.food,
	    clothing = excluded.clothing,
	    education = excluded.education,
	    medical = excluded.medical,
	    housing = excluded.housing,
	    risk = excluded.risk,
	    relapse_reason = excluded.relapse_reason,
	    relapse_year = excluded.relapse_year,
	    updated_at = now();

	INSERT INTO fupin.transition (household_id, village_id, event, actor,
	    role, at, note, detail)
	SELECT c.household_id, c.village_id, 'import', actor, 'import', fupin.clock_now(),
	    CASE WHEN c.is_new THEN 'insert' ELSE 'update' END, c.detail
	FROM import_change c
	ORDER BY c.line;

	SELECT count(*) FILTER (WHERE c.is_new),
	    count(*) FILTER (WHERE NOT c.is_new)
	INTO inserted, updated
	FROM import_change c;
	unchanged := (SELECT count(*) FROM pg_temp.import_household) -
	    inserted - updated;
	DROP TABLE import_change;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_members_check(present text[],
    codes jsonb)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT ARRAY['relation', 'birth_date', 'change', 'change_reason',
	    'change_date'] <@ present THEN
		UPDATE pg_temp.import_member s SET
		    relation = CASE WHEN 'relation' = ANY (present)
			THEN s.relation ELSE m.relation END,
		    birth_date = CASE WHEN 'birth_date' = ANY (present)
			THEN s.birth_date ELSE m.birth_date END,
		    change = CASE WHEN 'change' = ANY (present)
			THEN s.change ELSE m.change END,
		    change_reason = CASE WHEN 'change_reason' = ANY (present)
			THEN s.change_reason ELSE m.change_reason END,
		    change_date = CASE WHEN 'change_date' = ANY (present)
			THEN s.change_date ELSE m.change_date END
		FROM fupin.member m
		WHERE m.person_id = s.person_id;
	END IF;

	RETURN QUERY
	SELECT p.line, p.col, p.reason FROM (
		SELECT x.line, x.col, x.reason
		FROM fupin.import_codes('import_member', present, codes) x
		UNION ALL
		SELECT s.line, 'household_id' AS col,
		    format('unknown household %s', s.household_id) AS reason
		FROM pg_temp.import_member s
		WHERE NOT EXISTS (SELECT FROM fupin.household h
		    WHERE h.household_id = s.household_id)
		UNION ALL
		-- a person belongs to one household; moving is a decrease
		-- in one and an increase in the other, not an import
		SELECT s.line, 'person_id',
		    format('%s is already a member of household %s',
			s.person_id, m.household_id)
		FROM pg_temp.import_member s
		JOIN fupin.member m ON m.person_id = s.person_id
		WHERE m.household_id <> s.household_id
		UNION ALL
		SELECT s.line, 'change_reason',
		    'a natural decrease needs its reason and date'
		FROM pg_temp.import_member s
		WHERE s.change = 'decrease' AND
		    (coalesce(btrim(s.change_reason), '') = '' OR
		     s.change_date IS NULL)
	) AS p
	ORDER BY p.line, p.col;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_members(actor text,
    OUT inserted bigint, OUT updated bigint, OUT unchanged bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	LOCK TABLE fupin.member IN SHARE ROW EXCLUSIVE MODE;

	-- person_id names the member in detail; it never changes itself.
	CREATE TEMP TABLE import_change ON COMMIT DROP AS
	SELECT s.line, s.household_id, h.village_id,
	    m.person_id IS NULL AS is_new,
	    jsonb_build_object('person_id', s.person_id) ||
	    CASE WHEN m.person_id IS NULL
	    THEN fupin.import_diff(NULL,
		jsonb_strip_nulls(to_jsonb(s) - 'line' - 'person_id'))
	    ELSE fupin.import_diff(to_jsonb(m) - 'person_id',
		to_jsonb(s) - 'line' - 'person_id')
	    END AS detail
	FROM pg_temp.import_member s
	JOIN fupin.household h ON h.household_id = s.household_id
	LEFT JOIN fupin.member m ON m.person_id = s.person_id
	WHERE m.person_id IS NULL OR
	    (m.household_id, m.name, m.relation, m.birth_date, m.removed,
	     m.change, m.change_reason, m.change_date) IS DISTINCT FROM
	    (s.household_id, s.name, s.relation, s.birth_date, s.removed,
	     s.change, s.change_reason, s.change_date);

	INSERT INTO fupin.member AS m (person_id, household_id, name, relation,
	    birth_date, removed, change, change_reason, change_date)
	SELECT s.person_id, s.household_id, s.name, s.relation, s.birth_date,
	    s.removed, s.change, s.change_reason, s.change_date
	FROM pg_temp.import_member s JOIN import_change c USING (line)
	ON CONFLICT (person_id) DO UPDATE SET
	    household_id = excluded.household_id,
	    name = excluded.name,
	    relation = excluded.relation,
	    birth_date = excluded.birth_date,
	    removed = excluded.removed,
	    change = excluded.change,
	    change_reason = excluded.change_reason,
	    change_date = excluded.change_date;

	INSERT INTO fupin.transition (household_id, village_id, event, actor,
	    role, at, note, detail)
	SELECT c.household_id, c.village_id, 'import', actor, 'import', fupin.clock_now(),
	    CASE WHEN c.is_new THEN 'insert' ELSE 'update' END, c.detail
	FROM import_change c
	ORDER BY c.line;

	SELECT count(*) FILTER (WHERE c.is_new),
	    count(*) FILTER (WHERE NOT c.is_new)
	INTO inserted, updated
	FROM import_change c;
	unchanged := (SELECT count(*) FROM pg_temp.import_member) -
	    inserted - updated;
	DROP TABLE import_change;
END
$$;
