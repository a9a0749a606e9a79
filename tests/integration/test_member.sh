#!/usr/bin/env bash
# MEMBER: natural member changes. An increase adds a member and the
# household's size follows; a decrease marks one removed with its reason
# and date; person ids are checked (18 characters, GB 11643 check
# character, embedded birth date) and unique across households; each
# change reports the household's member procedure for that person, with
# its audit row, all in one transaction; ADVANCE .../PERSON member enter
# then enters it. Village credentials change their own village only; the
# data-entry lock closes it.
. "$(dirname "$0")/lib.sh"

t_setup member

# size H: the household's size in the register.
size() { t_psql -c "SELECT size FROM fupin.household WHERE household_id = '$1'"; }
# member_row P: how the register holds person P.
member_row() {
	t_psql -c "SELECT household_id || ' ' || removed || ' ' || change || ' ' ||
	    coalesce(change_reason, '-') || ' ' || coalesce(change_date::text, '-')
	    FROM fupin.member WHERE person_id = '$1'"
}
ntrans() { t_psql -c "SELECT count(*) FROM fupin.transition"; }

NEW1=$(person_id 53310320190305001)	# born 2019-03-05
NEW2=$(person_id 53310320190401002)	# born 2019-04-01
NEW3=$(person_id 53310320190502003)
NEW4=$(person_id 53310320190601004)
Q1=$(person_id 53310319600101011)	# in H002
Q2=$(person_id 53310319650101012)	# in H002
Q3=$(person_id 53310319700101013)	# in H003, alone
V2P=$(person_id 53310319800101021)	# in H060 (V02)
# a wrong check character, the date being good
last=${NEW2: -1}
BADCHK=${NEW2:0:17}$([ "$last" = 1 ] && echo 2 || echo 1)
# a good check character around a date that does not exist (Feb 30)
BADDATE=$(person_id 53310320190230005)

t_psql <<SQL
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'),
    ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
VALUES ('H001', 'V01', '岩温', 3, 'poor', 2014, 3000, true, true, true, true, true),
    ('H002', 'V01', '玉香', 2, 'poor', 2014, 3000, true, true, true, true, true),
    ('H003', 'V01', '岩罕', 1, 'lifted', 2014, 6000, true, true, true, true, true),
    ('H060', 'V02', '李明', 3, 'poor', 2014, 3000, true, true, true, true, true),
    ('H070', 'V01', '张三', 3, 'ordinary', NULL, 6000, true, true, true, true, true);
INSERT INTO fupin.member (person_id, household_id, name, relation, birth_date)
VALUES ('$Q1', 'H002', '玉香', 'head', '1960-01-01'),
    ('$Q2', 'H002', '岩甩', 'spouse', '1965-01-01'),
    ('$Q3', 'H003', '岩罕', 'head', '1970-01-01'),
    ('$V2P', 'H060', '李明', 'head', '1980-01-01');
SQL

t_start
wait_ready

# -- an increase
expect_code "ADD a newborn" ok member H001 add "$NEW1" 岩小 son 2019-03-05 出生
expect_eq "ADD: reported" "$(jv "$A" '[j["workflow"], j["event"], j["from"], j["to"]]')" \
	'["member", "report_increase", null, "reported"]'
expect_eq "ADD: the answer gives the new size" "$(jv "$A" 'j["size"]')" 4
expect_eq "ADD: size +1 in the register" "$(size H001)" 4
expect_eq "ADD: the member row" "$(member_row "$NEW1")" "H001 false increase birth 2019-10-08"
A=$(req household H001)
expect_eq "HOUSEHOLD lists the new member" \
	"$(jv "$A" '[(m["person_id"], m["name"], m["relation"], m["birth_date"], m["removed"], m["change"]) for m in j["members"]]')" \
	"[[\"$NEW1\", \"岩小\", \"son\", \"2019-03-05\", false, \"increase\"]]"
expect_eq "HOUSEHOLD: the member procedure for the person" \
	"$(jv "$A" '[(w["workflow"], w["subject"], w["state"], w["deadline"]) for w in j["workflows"]]')" \
	"[[\"member\", \"$NEW1\", \"reported\", \"lock\"]]"
expect_eq "history: the increase with person, name and reason" \
	"$(jv "$A" '[(h["workflow"], h["event"], h["to"], h["role"], h["note"], h["detail"]["person_id"], h["detail"]["name"], h["detail"]["reason"], h["detail"]["size"]) for h in j["history"]]')" \
	"[[\"member\", \"report_increase\", \"reported\", \"admin\", \"出生\", \"$NEW1\", \"岩小\", \"birth\", {\"new\": 4, \"old\": 3}]]"

# -- refusals change nothing
n0=$(ntrans)
expect_code "ADD: a wrong check character" guard member H001 add "$BADCHK" 岩二 son 2019-04-01
expect_match "wrong check character: says so and gives the right one" "$(jv "$A" 'j["message"]')" "check character ${BADCHK: -1} is wrong, GB 11643 gives ${NEW2: -1}"
expect_code "ADD: an embedded date that does not exist" guard member H001 add "$BADDATE" 岩二 son 2019-02-28
expect_match "bad embedded date: says so" "$(jv "$A" 'j["message"]')" 'birth date 20190230 inside it is not a valid date'
expect_code "ADD: 17 characters" guard member H001 add "${NEW2:0:17}" 岩二 son 2019-04-01
expect_match "17 characters: says so" "$(jv "$A" 'j["message"]')" '18 characters'
expect_code "ADD: a letter inside" guard member H001 add "5331032019040100X${NEW2: -1}" 岩二 son 2019-04-01
expect_code "ADD: birth date not the id's" guard member H001 add "$NEW2" 岩二 son 2019-04-02
expect_match "birth date not the id's: both dates" "$(jv "$A" 'j["message"]')" '2019-04-02 does not match 2019-04-01'
expect_code "ADD: birth date not a date" guard member H001 add "$NEW2" 岩二 son 2019-4-1
expect_code "ADD: a member of another household" guard member H001 add "$Q1" 玉香 wife 1960-01-01 结婚迁入
expect_match "duplicate: names the household that has it" "$(jv "$A" 'j["message"]')" "still a member of household H002"
expect_eq "duplicate: the rule" "$(jv "$A" '[j["rule"], j["household"]]')" '["person_id_unique", "H002"]'
expect_code "ADD: twice in the same household" guard member H001 add "$NEW1" 岩小 son 2019-03-05
expect_code "ADD: to an ordinary household (not registered)" guard member H070 add "$NEW2" 岩二 son 2019-04-01
expect_eq "ordinary household: the rule" "$(jv "$A" 'j["rule"]')" applies_to
expect_code "ADD: unknown household" unknown member H999 add "$NEW2" 岩二 son 2019-04-01
expect_code "ADD: missing birth date is a usage error" usage member H001 add "$NEW2" 岩二 son
expect_code "MEMBER with a bad action" usage member H001 move "$NEW2" 2019-10-01 迁出
expect_eq "refusals wrote no audit row" "$(ntrans)" "$n0"
expect_eq "refusals left H001's size" "$(size H001)" 4
expect_eq "refusals left H070's size" "$(size H070)" 3
expect_eq "refusals wrote no member" "$(t_psql -c "SELECT count(*) FROM fupin.member WHERE person_id IN ('$NEW2', '$BADCHK', '$BADDATE')")" 0

# -- a decrease
expect_code "REMOVE without a reason is a usage error" usage member H002 remove "$Q1" 2019-10-01
expect_code "REMOVE: a date in the future" guard member H002 remove "$Q1" 2019-10-09 死亡
expect_code "REMOVE: not a date" guard member H002 remove "$Q1" 2019-02-30 死亡
expect_code "REMOVE: a person of another household" guard member H001 remove "$Q1" 2019-10-01 死亡
expect_match "REMOVE elsewhere: says so" "$(jv "$A" 'j["message"]')" "no member $Q1 in household H001"
expect_code "REMOVE a member" ok member H002 remove "$Q1" 2019-10-01 死亡 因病去世
expect_eq "REMOVE: reported" "$(jv "$A" '[j["event"], j["to"], j["size"], j["member"]["removed"]]')" \
	'["report_decrease", "reported", 1, true]'
expect_eq "REMOVE: size -1" "$(size H002)" 1
expect_eq "REMOVE: removed with reason and date" "$(member_row "$Q1")" "H002 true decrease death 2019-10-01"
A=$(req household H002)
expect_eq "HOUSEHOLD: the member is removed, reason and date" \
	"$(jv "$A" '[(m["removed"], m["change"], m["change_reason"], m["change_date"]) for m in j["members"] if m["person_id"] == "'"$Q1"'"]')" \
	'[[true, "decrease", "death", "2019-10-01"]]'
expect_eq "history: the decrease" \
	"$(jv "$A" '[(h["event"], h["note"], h["detail"]["person_id"], h["detail"]["name"], h["detail"]["reason"], h["detail"]["date"]) for h in j["history"]]')" \
	"[[\"report_decrease\", \"死亡 因病去世\", \"$Q1\", \"玉香\", \"death\", \"2019-10-01\"]]"
expect_code "REMOVE twice" guard member H002 remove "$Q1" 2019-10-01 死亡
expect_match "REMOVE twice: says when" "$(jv "$A" 'j["message"]')" 'already removed on 2019-10-01'
expect_code "REMOVE the last person keeps size 1" ok member H003 remove "$Q3" 2019-10-02 迁出
expect_eq "size never below 1" "$(size H003)" 1

# -- while a change is reported, the person's next change waits; the
# refusal undoes the member write
n0=$(ntrans)
expect_code "ADD back while the decrease is reported: state" state member H002 add "$Q1" 玉香 head 1960-01-01 迁回
expect_eq "rolled back: still removed" "$(member_row "$Q1")" "H002 true decrease death 2019-10-01"
expect_eq "rolled back: size" "$(size H002)" 1
expect_eq "rolled back: no audit row" "$(ntrans)" "$n0"

# -- entering
expect_code "ADVANCE member enter (increase)" ok advance "H001/$NEW1" member enter
expect_eq "enter: reported -> entered" "$(jv "$A" '[j["from"], j["to"]]')" '["reported", "entered"]'
expect_code "ADVANCE member enter (decrease)" ok advance "H002/$Q1" member enter
expect_code "ADVANCE member enter twice" state advance "H002/$Q1" member enter
expect_code "ADVANCE member enter for a stranger" state advance "H001/$Q2" member enter
expect_code "a later change of an entered person" ok member H001 remove "$NEW1" 2019-10-08 夭折
expect_eq "second change: entered -> reported" "$(jv "$A" '[j["from"], j["to"]]')" '["entered", "reported"]'
expect_eq "second change: size back" "$(size H001)" 3
expect_code "ADD back in the same household after the entered decrease" ok member H002 add "$Q1" 玉香 head 1960-01-01 迁回
expect_eq "back: not removed, size +1" "$(member_row "$Q1") $(size H002)" "H002 false increase return 2019-10-08 2"
A=$(req status V01)
expect_eq "STATUS counts member procedures" "$(jv "$A" 'j["villages"][0]["workflows"]["member"]')" '{"reported": 3}'

# -- a marriage: out of one household (a decrease there), then into another
M5=$(person_id 53310319900303022)
t_psql >/dev/null <<SQL
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing,
    education, medical, housing)
VALUES ('H005', 'V01', '岩光', 2, 'poor', 2016, 3000, true, true, true, true, true),
       ('H006', 'V01', '岩庄', 1, 'poor', 2016, 3000, true, true, true, true, true);
INSERT INTO fupin.member (person_id, household_id, name, relation, birth_date)
VALUES ('$M5', 'H005', '玉兰', 'daughter', '1990-03-03');
SQL
expect_code "marriage: ADD while still a member elsewhere" guard member H006 add "$M5" 玉兰 wife 1990-03-03 结婚迁入
expect_match "marriage: says to record the decrease first" "$(jv "$A" 'j["message"]')" "still a member of household H005; record the decrease there first"
expect_code "marriage: out of H005" ok member H005 remove "$M5" 2019-10-08 结婚迁出
expect_code "marriage: into H006" ok member H006 add "$M5" 玉兰 wife 1990-03-03 结婚迁入
expect_eq "marriage: the member moved" "$(member_row "$M5")" "H006 false increase marriage_in 2019-10-08"
expect_eq "marriage: both sizes follow" "$(size H005) $(size H006)" "1 2"
expect_eq "marriage: a procedure in each household" \
	"$(t_psql -c "SELECT string_agg(household_id || ':' || state, ' ' ORDER BY household_id) FROM fupin.workflow_instance WHERE workflow = 'member' AND subject = '$M5'")" \
	"H005:reported H006:reported"

# -- a village credential, before the lock
t_stop
t_write_conf 'access = ( { role = "village"; village = "V01"; users = ["root"]; } );'
t_start
wait_ready
n0=$(ntrans)
expect_code "village: ADD in another village" forbidden member H060 add "$NEW3" 李小 son 2019-05-02 出生
expect_code "village: REMOVE in another village" forbidden member H060 remove "$V2P" 2019-10-20 死亡
expect_eq "village: nothing written in V02" "$(size H060) $(member_row "$V2P") $(ntrans)" "3 H060 false  - - $n0"
expect_eq "village: no member row" "$(t_psql -c "SELECT count(*) FROM fupin.member WHERE person_id = '$NEW3'")" 0
expect_code "village: ADD in its own village" ok member H001 add "$NEW4" 岩四 daughter 2019-06-01 出生
A=$(req household H001)
expect_eq "village: history names the village's actor" \
	"$(jv "$A" '[j["history"][-1][k] for k in ("event", "actor", "role")]')" \
	'["report_increase", "V01(uid 0)", "village"]'
expect_code "village: enter its own" ok advance "H001/$NEW4" member enter
expect_code "village: reject is the township's" forbidden advance "H001/$NEW1" member reject 证明不全

# -- the city keeps no member register
t_stop
t_write_conf 'access = ( { role = "city"; users = ["root"]; } );'
t_start
wait_ready
expect_code "city: MEMBER is not for the city" forbidden member H001 add "$NEW3" 岩三 son 2019-05-02 出生
expect_match "city: says who may" "$(jv "$A" 'j["message"]')" 'village, township'

# -- the data-entry lock (as admin again)
t_stop
t_write_conf
t_start
wait_ready
clock_set 2019-11-28T00:00:00+08:00
expect_code "ADD after the lock" locked member H001 add "$NEW2" 岩二 son 2019-04-01
expect_code "REMOVE after the lock" locked member H002 remove "$Q2" 2019-11-01 迁出
expect_code "enter after the lock" locked advance "H002/$Q1" member enter
expect_eq "locked: nothing written" "$(size H001) $(size H002) $(member_row "$Q2")" "4 2 H002 false  - -"

t_done
