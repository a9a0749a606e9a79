#!/usr/bin/env bash
# The database guards itself: the audit trail is append-only even for a
# superuser, constraints refuse bad register data from psql, state_count
# follows workflow_instance, and fupin_daemon cannot rewrite history
# (nor write any table but through the owner's functions).
#
# Every refusal is paired with an accepted twin that differs only in the
# value under test, so a check fails both when a constraint is missing and
# when it refuses too much.  Each probe runs inside BEGIN ... ROLLBACK so a
# wrongly accepted row cannot disturb the next check.
. "$(dirname "$0")/lib.sh"

t_setup schema

# expect_refused WHAT SQL REGEX: SQL fails with an error matching REGEX.
expect_refused() {
	local out
	out=$(psql -qAtX -v ON_ERROR_STOP=0 -d "$T_DB" 2>&1 <<SQL
BEGIN;
$2;
ROLLBACK;
SQL
	)
	if [[ $out =~ ERROR:\ +([^$'\n']*) ]]; then
		expect_match "refused: $1" "${BASH_REMATCH[1]}" "$3"
	else
		t_fail "refused: $1: accepted (output '$out')"
	fi
}

# expect_accepted WHAT SQL: SQL succeeds (and is rolled back).
expect_accepted() {
	local out
	if out=$(psql -qAtX -v ON_ERROR_STOP=1 -d "$T_DB" 2>&1 <<SQL
BEGIN;
$2;
ROLLBACK;
SQL
	); then
		t_ok "accepted: $1"
	else
		t_fail "accepted: $1: $out"
	fi
}

# -- fixtures
t_psql <<'SQL'
INSERT INTO fupin.campaign (campaign_id, year, exit_threshold,
    marginal_threshold, income_from, income_to, notice_min_days, lock_at)
VALUES ('2019', 2019, 3750, 5000, '2018-10-01', '2019-09-30', 5,
    '2019-11-28 00:00+08');
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'),
    ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.villager_group VALUES ('V01', '一组'), ('V02', '一组');
INSERT INTO fupin.household (household_id, village_id, group_name, head_name,
    size, category, identified_year, income_per_capita, food, clothing,
    education, medical, housing)
VALUES ('H001', 'V01', '一组', '岩温', 4, 'poor', 2014, 4200, true, true,
    true, true, true),
    ('H002', 'V01', NULL, '玉香', 3, 'poor', 2015, 3100, true, true, true,
    false, true),
    ('H003', 'V02', '一组', '李明', 5, 'lifted', 2014, 6000, true, true,
    true, true, true);
SQL

hh="INSERT INTO fupin.household (household_id, village_id, group_name, head_name, size, category, income_per_capita, relapse_reason, food, clothing, education, medical, housing) VALUES"

# -- households
expect_accepted "a good household" "$hh ('H100', 'V01', '一组', '张三', 1, 'marginal', 0, NULL, true, true, true, true, true)"
expect_refused "unknown category" \
	"$hh ('H100', 'V01', '一组', '张三', 1, 'rich', 0, NULL, true, true, true, true, true)" \
	'household_category_check'
expect_refused "negative income" \
	"$hh ('H100', 'V01', '一组', '张三', 1, 'marginal', -0.01, NULL, true, true, true, true, true)" \
	'household_income_per_capita_check'
expect_refused "size 0" \
	"$hh ('H100', 'V01', '一组', '张三', 0, 'marginal', 0, NULL, true, true, true, true, true)" \
	'household_size_check'
expect_refused "size 51" \
	"$hh ('H100', 'V01', '一组', '张三', 51, 'marginal', 0, NULL, true, true, true, true, true)" \
	'household_size_check'
expect_accepted "relapsed with a reason" "$hh ('H100', 'V01', '一组', '张三', 2, 'relapsed', 2000, '因病', true, true, true, true, true)"
expect_refused "relapsed without a reason" \
	"$hh ('H100', 'V01', '一组', '张三', 2, 'relapsed', 2000, NULL, true, true, true, true, true)" \
	'household_relapse_reason'
expect_refused "relapsed with a blank reason" \
	"$hh ('H100', 'V01', '一组', '张三', 2, 'relapsed', 2000, '  ', true, true, true, true, true)" \
	'household_relapse_reason'
expect_refused "household of an unknown village" \
	"$hh ('H100', 'V99', NULL, '张三', 1, 'marginal', 0, NULL, true, true, true, true, true)" \
	'violates foreign key constraint "household_village_id_fkey"'
expect_refused "group of another village" \
	"$hh ('H100', 'V01', '二组', '张三', 1, 'marginal', 0, NULL, true, true, true, true, true)" \
	'violates foreign key constraint "household_village_id_group_name_fkey"'
expect_refused "guarantee left unknown" \
	"$hh ('H100', 'V01', '一组', '张三', 1, 'marginal', 0, NULL, true, true, NULL, true, true)" \
	'null value in column "education"'
expect_refused "village id with a space" \
	"INSERT INTO fupin.village VALUES ('V 03', '村', '勐戛镇')" 'village_village_id_check'

# -- members and identity numbers
good=$(person_id 53310319800101001)		# born 1980-01-01
other=$(person_id 53310320000229002)		# born 2000-02-29, a leap day
bad_check=${good:0:17}$(( (${good:17:1} + 1) % 10 ))
[ "${good:17:1}" = X ] && bad_check=${good:0:17}0
bad_date=$(person_id 53310319810229001)	# 1981 has no Feb 29
bad_month=$(person_id 53310319801301001)
expect_eq "person_id_valid accepts a good number" \
	"$(t_psql -c "SELECT fupin.person_id_valid('$good'), fupin.person_id_valid('$other'), fupin.person_id_valid('11010519491231002X')")" "t|t|t"
expect_eq "person_id_valid refuses bad numbers" \
	"$(t_psql -c "SELECT fupin.person_id_valid('$bad_check'), fupin.person_id_valid('$bad_date'), fupin.person_id_valid('$bad_month'), fupin.person_id_valid('11010519491231002x'), fupin.person_id_valid('1101051949123100'), fupin.person_id_valid('ABCDEFGHIJKLMNOPQR')")" "f|f|f|f|f|f"

mem="INSERT INTO fupin.member (person_id, household_id, name, relation, birth_date, change, change_reason, change_date) VALUES"
expect_accepted "a good member" "$mem ('$good', 'H001', '岩温', '户主', '1980-01-01', '', NULL, NULL)"
expect_refused "identity number with a bad check digit" \
	"$mem ('$bad_check', 'H001', '岩温', '户主', NULL, '', NULL, NULL)" 'member_person_id_valid'
expect_refused "identity number with an impossible birth date" \
	"$mem ('$bad_date', 'H001', '岩温', '户主', NULL, '', NULL, NULL)" 'member_person_id_valid'
expect_refused "identity number with month 13" \
	"$mem ('$bad_month', 'H001', '岩温', '户主', NULL, '', NULL, NULL)" 'member_person_id_valid'
expect_refused "same person in two households" \
	"$mem ('$good', 'H001', '岩温', '户主', NULL, '', NULL, NULL); $mem ('$good', 'H003', '岩温', '之子', NULL, '', NULL, NULL)" \
	'duplicate key value violates unique constraint "member_pkey"'
expect_accepted "a decrease with reason and date" \
	"$mem ('$other', 'H001', '玉南', '之女', NULL, 'decrease', '出嫁', '2019-10-12')"
expect_refused "a decrease without a reason" \
	"$mem ('$other', 'H001', '玉南', '之女', NULL, 'decrease', NULL, '2019-10-12')" 'member_decrease_reason'
expect_refused "a decrease without a date" \
	"$mem ('$other', 'H001', '玉南', '之女', NULL, 'decrease', '出嫁', NULL)" 'member_decrease_reason'
expect_refused "an unknown change" \
	"$mem ('$other', 'H001', '玉南', '之女', NULL, 'moved', '出嫁', NULL)" 'member_change_check'

# -- workflow instances and state_count
wi="INSERT INTO fupin.workflow_instance (campaign_id, workflow, household_id, village_id, state, entered_at) VALUES"
expect_refused "instance in another village than its household" \
	"$wi ('2019', 'exit', 'H001', 'V02', 'draft', now())" 'violates foreign key constraint'
expect_refused "second exit instance for one household" \
	"$wi ('2019', 'exit', 'H001', 'V01', 'draft', now()); $wi ('2019', 'exit', 'H001', 'V01', 'draft', now())" \
	'workflow_instance_household_key'
expect_refused "second village task for one village" \
	"$wi ('2019', 'work_team', NULL, 'V01', 'open', now()); $wi ('2019', 'work_team', NULL, 'V01', 'open', now())" \
	'workflow_instance_village_key'

counts() { t_psql -c "SELECT string_agg(village_id || '/' || workflow || '/' || state || '=' || n, ' ' ORDER BY village_id, workflow, state) FROM fupin.state_count"; }
recount() { t_psql -c "SELECT string_agg(village_id || '/' || workflow || '/' || state || '=' || n, ' ' ORDER BY village_id, workflow, state) FROM (SELECT village_id, workflow, state, count(*) AS n FROM fupin.workflow_instance GROUP BY 1, 2, 3) c"; }

t_psql -c "$wi ('2019', 'exit', 'H001', 'V01', 'draft', now()), ('2019', 'exit', 'H002', 'V01', 'draft', now()), ('2019', 'exit', 'H003', 'V02', 'draft', now()), ('2019', 'work_team', NULL, 'V01', 'open', now())"
expect_eq "state_count after inserts" "$(counts)" \
	"V01/exit/draft=2 V01/work_team/open=1 V02/exit/draft=1"
t_psql -c "UPDATE fupin.workflow_instance SET state = 'village_notice', version = version + 1 WHERE household_id = 'H001'"
expect_eq "state_count after a transition" "$(counts)" \
	"V01/exit/draft=1 V01/exit/village_notice=1 V01/work_team/open=1 V02/exit/draft=1"
t_psql -c "UPDATE fupin.workflow_instance SET closed = true, version = version + 1 WHERE workflow = 'work_team'"
expect_eq "state_count ignores other columns" "$(counts)" \
	"V01/exit/draft=1 V01/exit/village_notice=1 V01/work_team/open=1 V02/exit/draft=1"
t_psql -c "UPDATE fupin.workflow_instance SET state = 'village_notice' WHERE household_id IN ('H002', 'H003')"
expect_eq "state_count drops emptied states" "$(counts)" \
	"V01/exit/village_notice=2 V01/work_team/open=1 V02/exit/village_notice=1"
t_psql -c "DELETE FROM fupin.workflow_instance WHERE household_id = 'H002'"
expect_eq "state_count after a delete" "$(counts)" \
	"V01/exit/village_notice=1 V01/work_team/open=1 V02/exit/village_notice=1"
t_psql -c "BEGIN; $wi ('2019', 'exit', 'H002', 'V01', 'draft', now()); ROLLBACK"
expect_eq "state_count after a rolled-back insert" "$(counts)" "$(recount)"
expect_eq "state_count equals a recount" "$(counts)" "$(recount)"

# -- the audit trail
tr="INSERT INTO fupin.transition (instance_id, campaign_id, household_id, village_id, workflow, event, from_state, to_state, actor, role, at, note) VALUES"
t_psql -c "$tr ((SELECT instance_id FROM fupin.workflow_instance WHERE household_id = 'H001'), '2019', 'H001', 'V01', 'exit', 'publish', 'draft', 'village_notice', 'v01-team', 'village', '2019-10-21 09:00+08', 'test')"
expect_refused "UPDATE of transition" "UPDATE fupin.transition SET note = 'rewritten'" \
	'fupin\.transition is append-only'
expect_refused "UPDATE of transition matching no row" \
	"UPDATE fupin.transition SET note = 'x' WHERE false" 'fupin\.transition is append-only'
expect_refused "DELETE from transition" "DELETE FROM fupin.transition" \
	'fupin\.transition is append-only'
expect_refused "TRUNCATE of transition" "TRUNCATE fupin.transition" \
	'fupin\.transition is append-only'
expect_refused "UPDATE of transition in replica mode" \
	"SET LOCAL session_replication_role = replica; UPDATE fupin.transition SET note = 'x'" \
	'fupin\.transition is append-only'
expect_eq "test runs as a superuser" \
	"$(t_psql -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" t
expect_eq "the audit row survived" \
	"$(t_psql -c "SELECT count(*) || ' ' || note FROM fupin.transition GROUP BY note")" "1 test"
expect_refused "workflow transition without to_state" \
	"$tr (NULL, '2019', 'H001', 'V01', 'exit', 'publish', 'draft', NULL, 'v01-team', 'village', now(), NULL)" \
	'transition_check'

# -- the daemon's role: it reads, and writes only through the owner's
# functions (009_roles.sql; test_roles runs the daemon that way)
expect_accepted "fupin_daemon reads transition" \
	"SET LOCAL ROLE fupin_daemon; SELECT count(*) FROM fupin.transition"
expect_refused "fupin_daemon appends to transition directly" \
	"SET LOCAL ROLE fupin_daemon; $tr (NULL, '2019', 'H001', 'V01', NULL, 'import', NULL, NULL, 'importer', 'admin', now(), NULL)" \
	'permission denied for table transition'
expect_refused "fupin_daemon moves an instance directly" \
	"SET LOCAL ROLE fupin_daemon; UPDATE fupin.workflow_instance SET state = 'township_review' WHERE household_id = 'H001'" \
	'permission denied for table workflow_instance'
expect_refused "fupin_daemon UPDATE of transition" \
	"SET LOCAL ROLE fupin_daemon; UPDATE fupin.transition SET note = 'x'" \
	'permission denied for table transition'
expect_refused "fupin_daemon DELETE from transition" \
	"SET LOCAL ROLE fupin_daemon; DELETE FROM fupin.transition" \
	'permission denied for table transition'
expect_refused "fupin_daemon writes state_count" \
	"SET LOCAL ROLE fupin_daemon; UPDATE fupin.state_count SET n = 99" \
	'permission denied for table state_count'

t_done
