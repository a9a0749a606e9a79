/*
 * Table rows of the verbs implemented by other subsystems, spliced into
 * the command table in cmd.c, and their handlers' prototypes.
 */
#ifndef FUPIN_CMD_VERBS_H
#define FUPIN_CMD_VERBS_H

#include "cmd.h"

void cmd_calendar(struct client *, struct cmd_args *);
void cmd_status(struct client *, struct cmd_args *);
void cmd_overdue(struct client *, struct cmd_args *);
void cmd_household(struct client *, struct cmd_args *);
void cmd_advance(struct client *, struct cmd_args *);
void cmd_member(struct client *, struct cmd_args *);
void cmd_analyze(struct client *, struct cmd_args *);
void cmd_problems(struct client *, struct cmd_args *);

#define CMD_VERBS_ENGINE                                                       \
	{ "CALENDAR", ROLE_NONE, 0, 0, cmd_calendar, "CALENDAR",              \
	    "every stage, window and task with its status" },                  \
	{ "STATUS", ROLE_VILLAGE, 0, 1, cmd_status, "STATUS [VILLAGE]",       \
	    "households per workflow and state, overdue, next deadline" },     \
	{ "OVERDUE", ROLE_VILLAGE, 0, 1, cmd_overdue, "OVERDUE [VILLAGE]",    \
	    "households that missed a deadline" },                             \
	{ "HOUSEHOLD", ROLE_VILLAGE, 1, 1, cmd_household, "HOUSEHOLD ID",     \
	    "a household, its procedures and their full history" },            \
	{ "ADVANCE", ROLE_VILLAGE, 3, -1, cmd_advance,                        \
	    "ADVANCE ID WORKFLOW EVENT [NOTE]",                                \
	    "record a step: e.g. ADVANCE H001 exit publish (ID may be "        \
	    "HOUSEHOLD/PERSON_ID for member changes)" },                    \
	{ "MEMBER", ROLE_VILLAGE, 4, -1, cmd_member,                          \
	    "MEMBER HOUSEHOLD ADD PERSON_ID NAME RELATION BIRTH_DATE [REASON] " \
	    "| MEMBER HOUSEHOLD REMOVE PERSON_ID DATE REASON",                 \
	    "record a natural member change (birth, marriage, death); it is " \
	    "then reported: ADVANCE HOUSEHOLD/PERSON_ID member enter" },      \
	{ "ANALYZE", ROLE_TOWNSHIP, 0, 0, cmd_analyze, "ANALYZE",             \
	    "run the data-quality rules (from the analysis window on); each "  \
	    "new problem starts a rectify procedure" },                        \
	{ "PROBLEMS", ROLE_VILLAGE, 0, 1, cmd_problems, "PROBLEMS [VILLAGE]", \
	    "the problem list and where each problem's rectification stands" },

#endif
