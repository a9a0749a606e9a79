-- 80-import.sql: imports through fupind: uploads, staging, checks, and the
-- all-or-nothing apply with its audit.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.
--
-- fupinctl parses and checks the file, then streams it to fupind
-- (daemon/import.c), which calls, each in a statement of its own:
--   fupin.import_open(p)              IMPORT BEGIN: a new upload, its id
--   fupin.import_rows(id, kind, rows) IMPORT ROWS: a chunk of rows (a JSON
--                                     array of objects, each with its
--                                     file line) into the staging table
--                                     of its kind (012_import_upload.sql)
--   fupin.import_commit(p)            IMPORT COMMIT / CHECK: the checks
--                                     (what only the database can know,
--                                     per line) and, if none failed and p
--                                     asks for it, the upsert with its
--                                     audit; the staging rows go either way
--   fupin.import_discard(id)          IMPORT ABORT, a dropped connection
--   fupin.import_expire(p)            uploads untouched too long, and at
--                                     a start those the daemon left
-- present lists the staging columns the file really had: a column left out
-- of the file keeps the value already stored instead of being wiped.
-- codes maps, per staging column, every form a value may take in the file
-- (the national export's Chinese, ASCII lower-cased) to the code stored:
-- {"relapse_reason": {"因病": "illness", "illness": "illness", ...}};
-- fupind builds it from campaign.conf's code lists.
--
-- Every insert or changed row is audited in fupin.transition (event and
-- role 'import', workflow NULL, note 'insert' or 'update', actor the
-- principal fupind authenticated). An update's detail holds the changed
-- fields: {"income_per_capita": {"old": 3512.00, "new": 3800.00}}; an
-- insert's detail is the row as imported (a whole-row image, every field
-- that is not null: {"size": 4, ...}), which answers "who set this field
-- and when" as well and costs a tenth of a per-field diff. The key
-- (household_id, village_id) is the row's own column, not repeated in
-- detail; a member's detail names the person: {"person_id": "...", ...}.
-- New households are audited by batch: one row per 100 lines of the file
-- (household_id NULL) holding the image of each as an array of values,
-- {"columns": ["village_id", ...], "households": {"H001": ["V01", ...]}},
-- named by household.imported_in, which fupin.household_history
-- (25-audit.sql) hands out as the household's own row with the image as
-- an insert's detail always was (013_import_batch_audit.sql). A row that is identical to what is
-- stored is neither written nor audited, so importing the same file twice
-- changes nothing.

-- The fields of new that differ from old, as {"field": {"old":…, "new":…}}.
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

-- The direct-connection import (fupinctl with the database's conninfo)
-- is gone: its TEMP staging and its functions with it.
DROP FUNCTION IF EXISTS fupin.import_stage(text);
DROP FUNCTION IF EXISTS fupin.import_codes(text, text[], jsonb);
DROP FUNCTION IF EXISTS fupin.import_villages_check(text[], jsonb);
DROP FUNCTION IF EXISTS fupin.import_households_check(text[], jsonb);
DROP FUNCTION IF EXISTS fupin.import_members_check(text[], jsonb);
DROP FUNCTION IF EXISTS fupin.import_villages(text);
DROP FUNCTION IF EXISTS fupin.import_households(text);
DROP FUNCTION IF EXISTS fupin.import_members(text);

-- p: {kind, principal, owner, file}: a new upload; its id.
CREATE OR REPLACE FUNCTION fupin.import_open(p jsonb)
RETURNS bigint
LANGUAGE sql
AS $$
INSERT INTO fupin.import_upload (kind, principal, owner, file)
VALUES (p->>'kind', p->>'principal', p->>'owner', p->>'file')
RETURNING upload_id
$$;

-- One chunk of upload's rows, a JSON array of objects keyed by staging
-- column (and line), into the staging table of kind; how many. The
-- upload must be open and of that kind. json, not jsonb: json_to_recordset
-- reads the text once, straight into the typed columns.
CREATE OR REPLACE FUNCTION fupin.import_rows(upload bigint,
    upload_kind text, chunk text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE fupin.import_upload u SET touched_at = now(),
	    bytes = u.bytes + octet_length(chunk)
	WHERE u.upload_id = upload AND u.kind = upload_kind;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no % upload %', upload_kind, upload
		    USING ERRCODE = 'no_data_found';
	END IF;
	CASE upload_kind
	WHEN 'villages' THEN
		INSERT INTO fupin.import_village_stage (upload_id, line,
		    village_id, name, township)
		SELECT upload, x.line, x.village_id, x.name, x.township
		FROM json_to_recordset(chunk::json) AS x(line int,
		    village_id text, name text, township text);
	WHEN 'households' THEN
		INSERT INTO fupin.import_household_stage (upload_id, line,
		    household_id, village_id, group_name, head_name, size,
		    category, identified_year, lifted_year, income_per_capita,
		    food, clothing, education, medical, housing, risk,
		    relapse_reason, relapse_year)
		SELECT upload, x.line, x.household_id, x.village_id,
		    x.group_name, x.head_name, x.size, x.category,
		    x.identified_year, x.lifted_year, x.income_per_capita,
		    x.food, x.clothing, x.education, x.medical, x.housing,
		    x.risk, x.relapse_reason, x.relapse_year
		FROM json_to_recordset(chunk::json) AS x(line int,
		    household_id text, village_id text, group_name text,
		    head_name text, size int, category text,
		    identified_year int, lifted_year int,
		    income_per_capita numeric(12,2), food boolean,
		    clothing boolean, education boolean, medical boolean,
		    housing boolean, risk text, relapse_reason text,
		    relapse_year int);
	WHEN 'members' THEN
		INSERT INTO fupin.import_member_stage (upload_id, line,
		    person_id, household_id, name, relation, birth_date,
		    change, change_reason, change_date)
		SELECT upload, x.line, x.person_id, x.household_id, x.name,
		    coalesce(x.relation, ''), x.birth_date,
		    coalesce(x.change, ''), x.change_reason, x.change_date
		FROM json_to_recordset(chunk::json) AS x(line int,
		    person_id text, household_id text, name text,
		    relation text, birth_date date, change text,
		    change_reason text, change_date date);
	END CASE;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE fupin.import_upload u SET rows = u.rows + n
	WHERE u.upload_id = upload;
	RETURN n;
END
$$;

-- Forget an upload and its staging rows.
CREATE OR REPLACE FUNCTION fupin.import_discard(upload bigint)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	DELETE FROM fupin.import_village_stage WHERE upload_id = upload;
	DELETE FROM fupin.import_household_stage WHERE upload_id = upload;
	DELETE FROM fupin.import_member_stage WHERE upload_id = upload;
	DELETE FROM fupin.import_upload WHERE upload_id = upload;
END
$$;

-- p: {idle, owner}: uploads untouched for idle seconds (their client
-- or their daemon died), and, given owner, every upload of that daemon
-- (it is starting: what it served before is dead), with their staging
-- rows; how many uploads went.
CREATE OR REPLACE FUNCTION fupin.import_expire(p jsonb)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	gone bigint[];
BEGIN
	WITH d AS (
		DELETE FROM fupin.import_upload u
		WHERE u.touched_at < now() - make_interval(secs =>
		    (p->>'idle')::int) OR u.owner = p->>'owner'
		RETURNING u.upload_id)
	SELECT coalesce(array_agg(d.upload_id), '{}') INTO gone FROM d;
	IF cardinality(gone) > 0 THEN
		DELETE FROM fupin.import_village_stage
		WHERE upload_id = ANY (gone);
		DELETE FROM fupin.import_household_stage
		WHERE upload_id = ANY (gone);
		DELETE FROM fupin.import_member_stage
		WHERE upload_id = ANY (gone);
	END IF;
	RETURN cardinality(gone);
END
$$;

-- The code-list columns of staging table tbl that the file has: every
-- value must be one of the forms in codes (else its line and column are
-- reported), and is replaced by its code.
CREATE OR REPLACE FUNCTION fupin.import_codes(tbl text, upload bigint,
    present text[], codes jsonb)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
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
		    'list (%%s)'', s.%I, %L::text) FROM fupin.%I s '
		    'WHERE s.upload_id = $2 AND '
		    'nullif(btrim(s.%I), '''') IS NOT NULL AND '
		    'NOT ($1 ? lower(btrim(s.%I)))', c, c, allowed, tbl, c, c)
		    USING codes->c, upload;
		EXECUTE format('UPDATE fupin.%I s SET %I = $1->>lower(btrim(s.%I)) '
		    'WHERE s.upload_id = $2 AND s.%I IS NOT NULL AND '
		    '$1 ? lower(btrim(s.%I)) AND '
		    's.%I IS DISTINCT FROM $1->>lower(btrim(s.%I))',
		    tbl, c, c, c, c, c, c)
		    USING codes->c, upload;
	END LOOP;
END
$$;

-- A key on two lines of one upload: every later line, naming the first.
-- Hash aggregation finds the few keys that repeat; only those are joined
-- back.
CREATE OR REPLACE FUNCTION fupin.import_duplicates(tbl text, keycol text,
    upload bigint)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
AS $$
BEGIN
	RETURN QUERY EXECUTE format('WITH d AS MATERIALIZED (SELECT s.%1$I AS k, '
	    'min(s.line) AS first FROM fupin.%2$I s WHERE s.upload_id = $1 '
	    'GROUP BY s.%1$I HAVING count(*) > 1) '
	    'SELECT s.line, %3$L::text, format(''%%s also on line %%s'', '
	    's.%1$I, d.first) FROM fupin.%2$I s JOIN d ON d.k = s.%1$I '
	    'WHERE s.upload_id = $1 AND s.line <> d.first', keycol, tbl,
	    keycol)
	    USING upload;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_villages_check(upload bigint,
    present text[], codes jsonb)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
AS $$
BEGIN
	RETURN QUERY
	SELECT x.line, x.col, x.reason
	FROM fupin.import_duplicates('import_village_stage', 'village_id',
	    upload) x;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_villages(upload bigint, actor text,
    OUT inserted bigint, OUT updated bigint, OUT unchanged bigint)
LANGUAGE plpgsql
AS $$
BEGIN
	-- Held to commit: the old values in the audit stay the stored ones.
	LOCK TABLE fupin.village IN SHARE ROW EXCLUSIVE MODE;

	CREATE TEMP TABLE import_change ON COMMIT DROP AS
	SELECT s.line, s.village_id, v.village_id IS NULL AS is_new,
	    CASE WHEN v.village_id IS NULL
	    THEN jsonb_strip_nulls(to_jsonb(s) - 'upload_id' - 'line' -
		'village_id')
	    ELSE fupin.import_diff(to_jsonb(v) - 'village_id',
		to_jsonb(s) - 'upload_id' - 'line' - 'village_id')
	    END AS detail
	FROM fupin.import_village_stage s
	LEFT JOIN fupin.village v ON v.village_id = s.village_id
	WHERE s.upload_id = upload AND (v.village_id IS NULL OR
	    (v.name, v.township) IS DISTINCT FROM (s.name, s.township));

	INSERT INTO fupin.village AS v (village_id, name, township)
	SELECT s.village_id, s.name, s.township
	FROM fupin.import_village_stage s JOIN import_change c USING (line)
	WHERE s.upload_id = upload
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
	unchanged := (SELECT count(*) FROM fupin.import_village_stage s
	    WHERE s.upload_id = upload) - inserted - updated;
	DROP TABLE import_change;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_households_check(upload bigint,
    present text[], codes jsonb)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
AS $$
BEGIN
	-- Optional columns the file left out keep their stored values.
	IF NOT ARRAY['group_name', 'identified_year', 'lifted_year',
	    'income_per_capita', 'risk', 'relapse_reason',
	    'relapse_year'] <@ present THEN
		UPDATE fupin.import_household_stage s SET
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
		WHERE s.upload_id = upload AND h.household_id = s.household_id;
	END IF;

	RETURN QUERY
	SELECT p.line, p.col, p.reason FROM (
		SELECT x.line, x.col, x.reason
		FROM fupin.import_duplicates('import_household_stage',
		    'household_id', upload) x
		UNION ALL
		SELECT x.line, x.col, x.reason
		FROM fupin.import_codes('import_household_stage', upload,
		    present, codes) x
		UNION ALL
		SELECT s.line, 'relapse_year',
		    format('relapse year %s before the lifted year %s',
			s.relapse_year, s.lifted_year)
		FROM fupin.import_household_stage s
		WHERE s.upload_id = upload AND s.relapse_year < s.lifted_year
		UNION ALL
		SELECT s.line, 'village_id' AS col,
		    format('unknown village %s', s.village_id) AS reason
		FROM fupin.import_household_stage s
		WHERE s.upload_id = upload AND NOT EXISTS (SELECT FROM
		    fupin.village v WHERE v.village_id = s.village_id)
		UNION ALL
		SELECT s.line, 'relapse_reason',
		    'a relapsed household needs the reason it fell back'
		FROM fupin.import_household_stage s
		WHERE s.upload_id = upload AND s.category = 'relapsed' AND
		    coalesce(btrim(s.relapse_reason), '') = ''
	) AS p
	ORDER BY p.line, p.col;
END
$$;

-- Changed rows first (their per-field diff is worth its cost: they are
-- few), then the new ones, audited by batch.
CREATE OR REPLACE FUNCTION fupin.import_households(upload bigint,
    actor text, OUT inserted bigint, OUT updated bigint,
    OUT unchanged bigint)
LANGUAGE plpgsql
AS $$
DECLARE
	at timestamptz := fupin.clock_now();
	hashagg text := current_setting('enable_hashagg');
	-- lines of the file per audit row of new households
	batch constant int := 100;
	lo int;			-- the first and last batch the lines span
	hi int;
	ids bigint[];
	-- an image is the array of these values: a third of the cost of an
	-- object built for each household
	image_columns constant jsonb := '["village_id", "group_name",
	    "head_name", "size", "category", "identified_year", "lifted_year",
	    "income_per_capita", "food", "clothing", "education", "medical",
	    "housing", "risk", "relapse_reason", "relapse_year"]';
BEGIN
	-- Held to commit: the old values in the audit stay the stored ones,
	-- and a concurrent import waits instead of interleaving.
	LOCK TABLE fupin.household IN SHARE ROW EXCLUSIVE MODE;

	-- Villager groups named by the file come into being with it.
	INSERT INTO fupin.villager_group (village_id, name)
	SELECT DISTINCT s.village_id, s.group_name
	FROM fupin.import_household_stage s
	WHERE s.upload_id = upload AND s.group_name IS NOT NULL
	ON CONFLICT DO NOTHING;

	CREATE TEMP TABLE import_change ON COMMIT DROP AS
	SELECT s.line, s.household_id, s.village_id,
	    fupin.import_diff(to_jsonb(h) - 'updated_at' - 'household_id',
		to_jsonb(s) - 'upload_id' - 'line' - 'household_id') AS detail
	FROM fupin.import_household_stage s
	JOIN fupin.household h ON h.household_id = s.household_id
	WHERE s.upload_id = upload AND
	    (h.village_id, h.group_name, h.head_name, h.size, h.category,
	     h.identified_year, h.lifted_year, h.income_per_capita, h.food,
	     h.clothing, h.education, h.medical, h.housing, h.risk,
	     h.relapse_reason, h.relapse_year) IS DISTINCT FROM
	    (s.village_id, s.group_name, s.head_name, s.size, s.category,
	     s.identified_year, s.lifted_year, s.income_per_capita, s.food,
	     s.clothing, s.education, s.medical, s.housing, s.risk,
	     s.relapse_reason, s.relapse_year);
	GET DIAGNOSTICS updated = ROW_COUNT;

	IF updated > 0 THEN
		UPDATE fupin.household h SET
		    village_id = s.village_id,
		    group_name = s.group_name,
		    head_name = s.head_name,
		    size = s.size,
		    category = s.category,
		    identified_year = s.identified_year,
		    lifted_year = s.lifted_year,
		    income_per_capita = s.income_per_capita,
		    food = s.food,
		    clothing = s.clothing,
		    education = s.education,
		    medical = s.medical,
		    housing = s.housing,
		    risk = s.risk,
		    relapse_reason = s.relapse_reason,
		    relapse_year = s.relapse_year,
		    updated_at = now()
		FROM fupin.import_household_stage s
		JOIN import_change c ON c.household_id = s.household_id
		WHERE s.upload_id = upload AND h.household_id = s.household_id;

		INSERT INTO fupin.transition (household_id, village_id, event,
		    actor, role, at, note, detail)
		SELECT c.household_id, c.village_id, 'import', actor, 'import',
		    at, 'update', c.detail
		FROM import_change c
		ORDER BY c.line;
	END IF;
	DROP TABLE import_change;

	-- The new ones: first their audit, one row per batch of `batch`
	-- lines of the file with the image of each new household
	-- (013_import_batch_audit.sql), then the households, each naming its
	-- batch's row. The rows' ids are drawn first, one per batch the lines
	-- span, so that both statements know them. Grouped from rows sorted
	-- by line, not hashed: a hash would hold every image of the upload
	-- in memory at once, a sort one batch's.
	SELECT min(s.line) / batch, max(s.line) / batch INTO lo, hi
	FROM fupin.import_household_stage s WHERE s.upload_id = upload;
	ids := ARRAY(SELECT nextval('fupin.transition_transition_id_seq')
	    FROM generate_series(lo, hi));
	PERFORM set_config('enable_hashagg', 'off', true);
	INSERT INTO fupin.transition (transition_id, event, actor, role, at,
	    note, detail)
	SELECT ids[s.line / batch - lo + 1], 'import', actor, 'import', at,
	    'insert', jsonb_build_object('columns', image_columns,
	    'households', jsonb_object_agg(s.household_id, jsonb_build_array(
		s.village_id, s.group_name, s.head_name, s.size, s.category,
		s.identified_year, s.lifted_year, s.income_per_capita, s.food,
		s.clothing, s.education, s.medical, s.housing, s.risk,
		s.relapse_reason, s.relapse_year)))
	FROM fupin.import_household_stage s
	WHERE s.upload_id = upload AND NOT EXISTS (SELECT FROM
	    fupin.household x WHERE x.household_id = s.household_id)
	GROUP BY s.line / batch
	ORDER BY s.line / batch;
	PERFORM set_config('enable_hashagg', hashagg, true);

	INSERT INTO fupin.household (household_id, village_id, group_name,
	    head_name, size, category, identified_year, lifted_year,
	    income_per_capita, food, clothing, education, medical, housing,
	    risk, relapse_reason, relapse_year, imported_in)
	SELECT s.household_id, s.village_id, s.group_name, s.head_name,
	    s.size, s.category, s.identified_year, s.lifted_year,
	    s.income_per_capita, s.food, s.clothing, s.education, s.medical,
	    s.housing, s.risk, s.relapse_reason, s.relapse_year,
	    ids[s.line / batch - lo + 1]
	FROM fupin.import_household_stage s
	WHERE s.upload_id = upload AND NOT EXISTS (SELECT FROM
	    fupin.household x WHERE x.household_id = s.household_id);
	GET DIAGNOSTICS inserted = ROW_COUNT;

	unchanged := (SELECT count(*) FROM fupin.import_household_stage s
	    WHERE s.upload_id = upload) - inserted - updated;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_members_check(upload bigint,
    present text[], codes jsonb)
RETURNS TABLE (line int, col text, reason text)
LANGUAGE plpgsql
AS $$
BEGIN
	IF NOT ARRAY['relation', 'birth_date', 'change', 'change_reason',
	    'change_date'] <@ present THEN
		UPDATE fupin.import_member_stage s SET
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
		WHERE s.upload_id = upload AND m.person_id = s.person_id;
	END IF;

	RETURN QUERY
	SELECT p.line, p.col, p.reason FROM (
		SELECT x.line, x.col, x.reason
		FROM fupin.import_duplicates('import_member_stage',
		    'person_id', upload) x
		UNION ALL
		SELECT x.line, x.col, x.reason
		FROM fupin.import_codes('import_member_stage', upload,
		    present, codes) x
		UNION ALL
		SELECT s.line, 'household_id' AS col,
		    format('unknown household %s', s.household_id) AS reason
		FROM fupin.import_member_stage s
		WHERE s.upload_id = upload AND NOT EXISTS (SELECT FROM
		    fupin.household h WHERE h.household_id = s.household_id)
		UNION ALL
		-- a person belongs to one household; moving is a decrease
		-- in one and an increase in the other, not an import
		SELECT s.line, 'person_id',
		    format('%s is already a member of household %s',
			s.person_id, m.household_id)
		FROM fupin.import_member_stage s
		JOIN fupin.member m ON m.person_id = s.person_id
		WHERE s.upload_id = upload AND m.household_id <> s.household_id
		UNION ALL
		SELECT s.line, 'change_reason',
		    'a natural decrease needs its reason and date'
		FROM fupin.import_member_stage s
		WHERE s.upload_id = upload AND s.change = 'decrease' AND
		    (coalesce(btrim(s.change_reason), '') = '' OR
		     s.change_date IS NULL)
	) AS p
	ORDER BY p.line, p.col;
END
$$;

CREATE OR REPLACE FUNCTION fupin.import_members(upload bigint, actor text,
    OUT inserted bigint, OUT updated bigint, OUT unchanged bigint)
LANGUAGE plpgsql
AS $$
BEGIN
	LOCK TABLE fupin.member IN SHARE ROW EXCLUSIVE MODE;

	-- person_id names the member in detail; it never changes itself.
	CREATE TEMP TABLE import_change ON COMMIT DROP AS
	SELECT s.line, s.household_id, h.village_id,
	    m.person_id IS NULL AS is_new,
	    jsonb_build_object('person_id', s.person_id) ||
	    CASE WHEN m.person_id IS NULL
	    THEN jsonb_strip_nulls(to_jsonb(s) - 'upload_id' - 'line' -
		'person_id')
	    ELSE fupin.import_diff(to_jsonb(m) - 'person_id',
		to_jsonb(s) - 'upload_id' - 'line' - 'person_id')
	    END AS detail
	FROM fupin.import_member_stage s
	JOIN fupin.household h ON h.household_id = s.household_id
	LEFT JOIN fupin.member m ON m.person_id = s.person_id
	WHERE s.upload_id = upload AND (m.person_id IS NULL OR
	    (m.household_id, m.name, m.relation, m.birth_date, m.removed,
	     m.change, m.change_reason, m.change_date) IS DISTINCT FROM
	    (s.household_id, s.name, s.relation, s.birth_date, s.removed,
	     s.change, s.change_reason, s.change_date));

	INSERT INTO fupin.member AS m (person_id, household_id, name, relation,
	    birth_date, removed, change, change_reason, change_date)
	SELECT s.person_id, s.household_id, s.name, s.relation, s.birth_date,
	    s.removed, s.change, s.change_reason, s.change_date
	FROM fupin.import_member_stage s JOIN import_change c USING (line)
	WHERE s.upload_id = upload
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
	SELECT c.household_id, c.village_id, 'import', actor, 'import',
	    fupin.clock_now(),
	    CASE WHEN c.is_new THEN 'insert' ELSE 'update' END, c.detail
	FROM import_change c
	ORDER BY c.line;

	SELECT count(*) FILTER (WHERE c.is_new),
	    count(*) FILTER (WHERE NOT c.is_new)
	INTO inserted, updated
	FROM import_change c;
	unchanged := (SELECT count(*) FROM fupin.import_member_stage s
	    WHERE s.upload_id = upload) - inserted - updated;
	DROP TABLE import_change;
END
$$;

-- p: {upload, kind, apply, present, codes, actor, now, campaign, tasks,
-- note, max_errors}: IMPORT COMMIT (apply true) or IMPORT CHECK. Runs the
-- checks of kind over the upload's rows; when none failed and apply is
-- true, applies them (a village import opens the village tasks too). The
-- upload is gone afterwards either way. Answers {ok, read, inserted,
-- updated, unchanged} or {ok: false, error: "bad_data", bad: N, errors:
-- [{line, col, reason}] (at most max_errors), truncated}; with apply
-- false and no error, {ok: true, read, checked: true}.
CREATE OR REPLACE FUNCTION fupin.import_commit(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	upload bigint := (p->>'upload')::bigint;
	upload_kind text := p->>'kind';
	present text[] := ARRAY(SELECT jsonb_array_elements_text(
	    coalesce(p->'present', '[]')));
	max_errors int := coalesce((p->>'max_errors')::int, 1000);
	errs jsonb;
	nbad bigint;
	nread bigint;
	r record;
BEGIN
	IF NOT EXISTS (SELECT FROM fupin.import_upload u
	    WHERE u.upload_id = upload AND u.kind = upload_kind) THEN
		RAISE EXCEPTION 'no % upload %', upload_kind, upload
		    USING ERRCODE = 'no_data_found';
	END IF;
	-- History rows carry the daemon's moment (its clock may be manual
	-- or simulated).
	PERFORM set_config('fupin.clock_now', coalesce(p->>'now',
	    now()::text), true);
	-- Enough memory to find repeated keys among a million rows at once.
	PERFORM set_config('work_mem', '64MB', true);
	-- Join the staged rows with the register by hash or merge, whatever
	-- the register's statistics say. Planned from a register analyzed
	-- empty (a new database), "the staged households not yet stored" was
	-- a nested loop scanning fupin.household once per staged row, growing
	-- as the rows went in: 93 s for 100,000 new households, 1 s by hash.
	PERFORM set_config('enable_nestloop', 'off', true);
	-- The target first: two commits of one kind queue here, not in a
	-- lock on the staging table.
	IF coalesce((p->>'apply')::boolean, false) THEN
		CASE upload_kind
		WHEN 'villages' THEN
			LOCK TABLE fupin.village IN SHARE ROW EXCLUSIVE MODE;
		WHEN 'households' THEN
			LOCK TABLE fupin.household IN SHARE ROW EXCLUSIVE MODE;
		WHEN 'members' THEN
			LOCK TABLE fupin.member IN SHARE ROW EXCLUSIVE MODE;
		END CASE;
	END IF;

	-- The staging table's statistics are those of whatever uploads it
	-- held when autovacuum last looked: without fresh ones, "this
	-- upload's rows" may be planned as one row, and a join over a
	-- million of them as a nested loop.
	CASE upload_kind
	WHEN 'villages' THEN
		ANALYZE fupin.import_village_stage;
	WHEN 'households' THEN
		ANALYZE fupin.import_household_stage;
	WHEN 'members' THEN
		ANALYZE fupin.import_member_stage;
	END CASE;

	CREATE TEMP TABLE import_error (line int, col text, reason text)
	    ON COMMIT DROP;
	CASE upload_kind
	WHEN 'villages' THEN
		INSERT INTO import_error SELECT * FROM
		    fupin.import_villages_check(upload, present, p->'codes');
	WHEN 'households' THEN
		INSERT INTO import_error SELECT * FROM
		    fupin.import_households_check(upload, present, p->'codes');
	WHEN 'members' THEN
		INSERT INTO import_error SELECT * FROM
		    fupin.import_members_check(upload, present, p->'codes');
	END CASE;

	SELECT u.rows INTO nread FROM fupin.import_upload u
	WHERE u.upload_id = upload;
	SELECT count(*) INTO nbad FROM import_error;
	IF nbad > 0 THEN
		SELECT coalesce(jsonb_agg(jsonb_build_object('line', e.line,
		    'col', e.col, 'reason', e.reason) ORDER BY e.line, e.col),
		    '[]')
		INTO errs
		FROM (SELECT * FROM import_error ORDER BY line, col
		    LIMIT max_errors) e;
		DROP TABLE import_error;
		PERFORM fupin.import_discard(upload);
		RETURN jsonb_build_object('ok', false, 'error', 'bad_data',
		    'message', format('%s bad value%s; nothing imported', nbad,
			CASE WHEN nbad = 1 THEN '' ELSE 's' END),
		    'bad', nbad, 'errors', errs,
		    'truncated', nbad > max_errors);
	END IF;
	DROP TABLE import_error;
	IF NOT coalesce((p->>'apply')::boolean, false) THEN
		PERFORM fupin.import_discard(upload);
		RETURN jsonb_build_object('ok', true, 'read', nread,
		    'checked', true);
	END IF;

	CASE upload_kind
	WHEN 'villages' THEN
		SELECT * INTO r FROM fupin.import_villages(upload, p->>'actor');
		PERFORM fupin.open_village_tasks(p);
	WHEN 'households' THEN
		SELECT * INTO r FROM fupin.import_households(upload,
		    p->>'actor');
	WHEN 'members' THEN
		SELECT * INTO r FROM fupin.import_members(upload, p->>'actor');
	END CASE;
	PERFORM fupin.import_discard(upload);
	RETURN jsonb_build_object('ok', true, 'read', nread,
	    'inserted', r.inserted, 'updated', r.updated,
	    'unchanged', r.unchanged);
END
$$;
