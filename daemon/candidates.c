/*
 * CANDIDATES [VILLAGE]: households that probably should have a procedure
 * and have none (an exit not proposed, a possible relapse, a marginal
 * household not surveyed). The rules and the campaign's thresholds are
 * the database's (sql/functions/65-candidates.sql); a village credential
 * sees its own village only.
 */
#include <string.h>

#include "campaign.h"
#include "cmd.h"
#include "engine.h"
#include "fupind.h"

#define CANDIDATES_MAX_ROWS "1000"

extern const struct cmd_entry cmd_candidates_entry;

static void
cmd_candidates(struct client *c, struct cmd_args *a)
{
	const char *village = a->argc > 1 ? a->argv[1] : NULL;
	const char *params[3];

	if (c->role == ROLE_VILLAGE) {
		if (village != NULL && strcmp(village, c->village) != 0) {
			client_error(c, "forbidden",
			    "you may see village %s only, not %.64s", c->village,
			    village);
			return;
		}
		village = c->village;
	}
	params[0] = fupind->campaign->name;
	params[1] = village;
	params[2] = CANDIDATES_MAX_ROWS;
	engine_call_sql(c, "SELECT fupin.candidates($1, $2, $3::int)::text", 3,
	    params, NULL, NULL);
}

const struct cmd_entry cmd_candidates_entry = {
	.name = "CANDIDATES",
	.args = { 0, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_candidates,
	.usage = "CANDIDATES [VILLAGE]",
	.example = "CANDIDATES V01",
	.help = "households that probably should have a procedure and have "
	    "none: exits not proposed, possible relapses, marginal households "
	    "not surveyed",
};
