-- 55-member.sql: MEMBER: natural member changes (births, marriages, deaths).
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

-- The code a value of a campaign code list stands for: list maps every
-- form (code, title, half of the title, alias; ASCII lower-cased) to its
-- code, as fupinctl import's lists do. The whole text, else its first
-- word ("death 在家中病故": the rest is the note). v itself when there is
-- no list (free text); NULL when it is in none of the list's forms.
CREATE OR REPLACE FUNCTION fupin.code_of(list jsonb, v text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE WHEN list IS NULL OR jsonb_typeof(list) <> 'object' OR
    list = '{}' THEN v
    ELSE coalesce(list->>lower(btrim(v)),
	list->>lower(split_part(regexp_replace(btrim(v), '\s+', ' ', 'g'),
	    ' ', 1))) END
$$;

-- The codes of a list, for a refusal: "birth, death, ...".
CREATE OR REPLACE FUNCTION fupin.codes_text(list jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT string_agg(DISTINCT x, ', ') FROM jsonb_each_text(list) AS e(f, x)
$$;

-- p: {change: "increase" | "decrease", household, person_id, name,
--     relation, birth_date (increase), date (decrease), reason,
--     codes: {relation, change_reason} (campaign.conf's lists as
--       {form: code}; relation and reason are stored as their codes and
--       refused, naming the codes, when in no form of the list),
--     and the keys fupin.advance needs for the member workflow's
--     report_increase / report_decrease: campaign, entries, actor, role,
--     village, now, lock_at, applies_to, min_days, final}
-- Checks the person, writes the member row and the household's size, and
-- moves the household's member procedure for that person to reported
-- with its audit row. All or nothing: when the procedure refuses (state,
-- forbidden, a guard), the member and size writes are undone with it.
CREATE OR REPLACE FUNCTION fupin.member_change(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	c text := p->>'campaign';
	chg text := p->>'change';
	hid text := p->>'household';
	pid text := coalesce(p->>'person_id', '');
	pname text := nullif(btrim(coalesce(p->>'name', '')), '');
	reason text := nullif(btrim(coalesce(p->>'reason', '')), '');
	now_at timestamptz := (p->>'now')::timestamptz;
	-- now is written with the campaign's +08:00 offset: its calendar day
	today date := left(p->>'now', 10)::date;
	cp fupin.campaign;
	h fupin.household;
	m fupin.member;
	embedded date;
	d date;
	new_size int;
	r jsonb;
	refusal text;
	relation text := btrim(coalesce(p->>'relation', ''));
	reason_code text;
BEGIN
	IF chg IS NULL OR chg NOT IN ('increase', 'decrease') THEN
		RAISE EXCEPTION 'member_change: change must be increase or '
		    'decrease, not %', chg;
	END IF;
	SELECT * INTO cp FROM fupin.campaign WHERE campaign_id = c;
	IF cp.campaign_id IS NULL THEN
		RETURN fupin.refuse('unavailable', format('campaign %s is not '
		    'loaded in the database yet', c));
	END IF;
	-- Locked: two changes of one household count its size in turn.
	SELECT * INTO h FROM fupin.household WHERE household_id = hid
	FOR UPDATE;
	-- A village learns nothing of the others: another village's
	-- household and a missing one get the same answer.
	IF p->>'village' IS NOT NULL AND
	    h.village_id IS DISTINCT FROM p->>'village' THEN
		RETURN fupin.refuse('forbidden', format('no household %s in your '
		    'village %s', hid, p->>'village'));
	END IF;
	IF h.household_id IS NULL THEN
		RETURN fupin.refuse('unknown', format('no household %s', hid));
	END IF;
	IF p->>'lock_at' IS NOT NULL AND
	    now_at >= (p->>'lock_at')::timestamptz THEN
		RETURN fupin.refuse('locked', format('data entry closed at %s; '
		    'member changes are data entry',
		    to_char((p->>'lock_at')::timestamptz, 'YYYY-MM-DD HH24:MI')),
		    jsonb_build_object('lock_at', p->'lock_at'));
	END IF;

	-- The identity number: format, embedded birth date, check character.
	IF pid !~ '^[0-9]{17}[0-9X]$' THEN
		RETURN fupin.refuse('guard', format('person id %s must be 18 '
		    'characters: 17 digits and a check character (0-9 or X)',
		    pid), jsonb_build_object('rule', 'person_id_valid',
		    'person_id', pid));
	END IF;
	embedded := fupin.date_or_null(substr(pid, 7, 4) || '-' ||
	    substr(pid, 11, 2) || '-' || substr(pid, 13, 2));
	IF embedded IS NULL OR NOT fupin.person_id_valid(pid) AND
	    fupin.person_id_check_char(pid) = substr(pid, 18, 1) THEN
		RETURN fupin.refuse('guard', format('person id %s: the birth date '
		    '%s inside it is not a valid date', pid, substr(pid, 7, 8)),
		    jsonb_build_object('rule', 'person_id_valid', 'person_id',
		    pid, 'embedded', substr(pid, 7, 8)));
	END IF;
	IF fupin.person_id_check_char(pid) <> substr(pid, 18, 1) THEN
		RETURN fupin.refuse('guard', format('person id %s: check '
		    'character %s is wrong, GB 11643 gives %s', pid,
		    substr(pid, 18, 1), fupin.person_id_check_char(pid)),
		    jsonb_build_object('rule', 'person_id_valid', 'person_id',
		    pid, 'check', fupin.person_id_check_char(pid)));
	END IF;

	-- Relation and reason as the campaign's code lists name them.
	IF chg = 'increase' AND relation <> '' THEN
		relation := fupin.code_of(p->'codes'->'relation', relation);
		IF relation IS NULL THEN
			RETURN fupin.refuse('guard', format('relation %s is not in '
			    'the campaign''s list (relations): %s', p->>'relation',
			    fupin.codes_text(p->'codes'->'relation')),
			    jsonb_build_object('rule', 'relation', 'relation',
			    p->>'relation'));
		END IF;
	END IF;
	IF reason IS NOT NULL THEN
		reason_code := fupin.code_of(p->'codes'->'change_reason', reason);
		IF reason_code IS NULL THEN
			RETURN fupin.refuse('guard', format('change reason %s is not '
			    'in the campaign''s list (change_reasons): %s', reason,
			    fupin.codes_text(p->'codes'->'change_reason')),
			    jsonb_build_object('rule', 'change_reason', 'reason',
			    reason));
		END IF;
	END IF;

	SELECT * INTO m FROM fupin.member WHERE person_id = pid FOR UPDATE;
	IF chg = 'increase' THEN
		IF pname IS NULL THEN
			RETURN fupin.refuse('guard', 'a new member needs a name',
			    jsonb_build_object('rule', 'member_name'));
		END IF;
		d := fupin.date_or_null(p->>'birth_date');
		IF d IS NULL THEN
			RETURN fupin.refuse('guard', format('birth date %s is not a '
			    'date (YYYY-MM-DD)', coalesce(p->>'birth_date', '')),
			    jsonb_build_object('rule', 'birth_date'));
		END IF;
		IF d <> embedded THEN
			RETURN fupin.refuse('guard', format('birth date %s does not '
			    'match %s inside person id %s', d, embedded, pid),
			    jsonb_build_object('rule', 'birth_date', 'birth_date', d,
			    'embedded', embedded));
		END IF;
		IF d > today THEN
			RETURN fupin.refuse('guard', format('birth date %s is after '
			    'today (%s)', d, today), jsonb_build_object('rule',
			    'birth_date', 'birth_date', d));
		END IF;
		-- Marrying in from another household: the person must have
		-- left it first (a decrease there); the member record moves.
		IF m.person_id IS NOT NULL AND m.household_id <> hid AND
		    NOT m.removed THEN
			-- Name the other household only to a caller who may
			-- see it (not a village other than its own).
			IF p->>'village' IS NOT NULL AND p->>'village' <> (
			    SELECT o.village_id FROM fupin.household o
			    WHERE o.household_id = m.household_id) THEN
				RETURN fupin.refuse('guard', format('person %s is '
				    'still a member of another household; its '
				    'village must record the decrease first (a '
				    'person belongs to one household)', pid),
				    jsonb_build_object('rule', 'person_id_unique',
				    'person_id', pid));
			END IF;
			RETURN fupin.refuse('guard', format('person %s is still a '
			    'member of household %s; record the decrease there '
			    'first (a person belongs to one household)', pid,
			    m.household_id), jsonb_build_object('rule',
			    'person_id_unique', 'person_id', pid, 'household',
			    m.household_id));
		END IF;
		IF m.person_id IS NOT NULL AND NOT m.removed THEN
			RETURN fupin.refuse('guard', format('person %s is already a '
			    'member of household %s', pid, hid),
			    jsonb_build_object('rule', 'person_id_unique',
			    'person_id', pid, 'household', hid));
		END IF;
		IF h.size >= 50 THEN
			RETURN fupin.refuse('guard', format('household %s already '
			    'has %s members', hid, h.size), jsonb_build_object(
			    'rule', 'size', 'size', h.size));
		END IF;
	ELSE
		IF m.person_id IS NULL OR m.household_id <> hid THEN
			RETURN fupin.refuse('guard', format('no member %s in '
			    'household %s', pid, hid), jsonb_build_object('rule',
			    'member_exists', 'person_id', pid));
		END IF;
		IF m.removed THEN
			RETURN fupin.refuse('guard', format('member %s of %s was '
			    'already removed on %s (%s)', pid, hid,
			    coalesce(m.change_date::text, '?'),
			    coalesce(m.change_reason, '?')), jsonb_build_object(
			    'rule', 'member_exists', 'person_id', pid));
		END IF;
		d := fupin.date_or_null(p->>'date');
		IF d IS NULL OR d > today THEN
			RETURN fupin.refuse('guard', format('date %s is not a date '
			    '(YYYY-MM-DD) up to today (%s)',
			    coalesce(p->>'date', ''), today), jsonb_build_object(
			    'rule', 'change_date'));
		END IF;
		IF reason IS NULL THEN
			RETURN fupin.refuse('guard', 'a decrease needs its reason '
			    '(death, marriage out, ...)', jsonb_build_object('rule',
			    'change_reason'));
		END IF;
	END IF;

	-- A subtransaction: a refusal by the procedure undoes the writes.
	BEGIN
		IF chg = 'increase' THEN
			-- The conflict arm is a removed member coming back, to this
			-- household or (a marriage) from another one; a member not
			-- removed lost a race and is refused.
			INSERT INTO fupin.member AS x (person_id, household_id,
			    name, relation, birth_date, removed, change,
			    change_reason, change_date)
			VALUES (pid, hid, pname, relation, d,
			    false, 'increase', reason_code, today)
			ON CONFLICT (person_id) DO UPDATE SET
			    household_id = excluded.household_id,
			    name = excluded.name, relation = excluded.relation,
			    birth_date = excluded.birth_date, removed = false,
			    change = 'increase', change_reason = excluded.change_reason,
			    change_date = excluded.change_date
			WHERE x.removed
			RETURNING * INTO m;
			IF m.person_id IS NULL THEN
				RAISE EXCEPTION USING ERRCODE = 'FP001',
				    MESSAGE = 'member change refused',
				    DETAIL = fupin.refuse('guard', format('person %s '
				    'was just added elsewhere', pid),
				    jsonb_build_object('rule', 'person_id_unique'))::text;
			END IF;
			new_size := h.size + 1;
		ELSE
			UPDATE fupin.member SET removed = true, change = 'decrease',
			    change_reason = reason_code, change_date = d
			WHERE person_id = pid
			RETURNING * INTO m;
			new_size := greatest(h.size - 1, 1);
		END IF;
		UPDATE fupin.household SET size = new_size, updated_at = now()
		WHERE household_id = hid;

		r := fupin.advance(p || jsonb_build_object('workflow', 'member',
		    'scope', 'household', 'target', hid, 'subject', pid,
		    'event', CASE chg WHEN 'increase' THEN 'report_increase'
		    ELSE 'report_decrease' END, 'note', reason,
		    'detail', jsonb_build_object('person_id', pid, 'name', m.name,
		    'relation', m.relation, 'change', chg, 'reason', reason_code,
		    'date', m.change_date, 'size', jsonb_build_object('old',
		    h.size, 'new', new_size))));
		IF NOT coalesce((r->>'ok')::boolean, false) THEN
			RAISE EXCEPTION USING ERRCODE = 'FP001',
			    MESSAGE = 'member change refused', DETAIL = r::text;
		END IF;
	EXCEPTION WHEN SQLSTATE 'FP001' THEN
		GET STACKED DIAGNOSTICS refusal = PG_EXCEPTION_DETAIL;
		RETURN refusal::jsonb;
	END;

	RETURN r || jsonb_build_object('size', new_size, 'member',
	    jsonb_build_object('person_id', m.person_id, 'name', m.name,
	    'relation', m.relation, 'birth_date', m.birth_date,
	    'removed', m.removed, 'change', m.change,
	    'reason', m.change_reason, 'date', m.change_date));
END
$$;
