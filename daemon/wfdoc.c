/* Markdown for every workflow of a campaign (see wfdoc.h). */
#include <string.h>

#include "calendar.h"
#include "campaign.h"
#include "isotime.h"
#include "role.h"
#include "wfdoc.h"
#include "workflow.h"

static void
roles(FILE *f, unsigned r)
{
	char buf[64];

	/* Admin may send every event: last, always. */
	role_mask_text(r & ~ROLE_BIT(ROLE_ADMIN), buf, sizeof(buf));
	if (strcmp(buf, "admin") != 0)
		fprintf(f, "%s, ", buf);
	fputs("admin", f);
}

static void
deadline(FILE *f, const struct campaign *c, const char *id)
{
	const struct cal_item *it = id ? cal_find(c->cal, id) : NULL;
	char buf[ISO_BUFSIZE];

	if (it == NULL) {
		fputs("—", f);
		return;
	}
	fprintf(f, "`%s` (due %s)", id,
	    iso_format(it->due, cal_offset(c->cal), buf, sizeof(buf)));
}

/* "poor, relapsed → `lifted`, lifted_year" per effect, "; " between. */
static void
effects(FILE *f, const struct wf_event *e)
{
	for (size_t i = 0; i < e->neffects; i++) {
		const struct wf_effect *ef = &e->effects[i];
		const char *sep = "";

		fputs(i ? "; " : "", f);
		for (size_t k = 0; k < ef->nwhen; k++)
			fprintf(f, "%s%s", k ? ", " : "", ef->when[k]);
		if (ef->category != NULL || ef->year != NULL)
			fputs(ef->nwhen ? " → " : "→ ", f);
		if (ef->category != NULL) {
			fprintf(f, "`%s`", ef->category);
			sep = ", ";
		}
		if (ef->year != NULL) {
			fprintf(f, "%s%s = campaign year", sep, ef->year);
			sep = ", ";
		}
		if (ef->clears_problem)
			fprintf(f, "%sclears the problem", sep);
	}
}

void
wfdoc_markdown(const struct campaign *c, FILE *f)
{
	const struct wf_campaign *wc = wf_campaign(c->wf);

	fprintf(f, "Campaign `%s`: exit threshold %.0f yuan, marginal "
		   "threshold %.0f yuan, income period %s to %s, notices at "
		   "least %d days, data entry locked at `%s`.\n\n",
	    wc->id, wc->exit_threshold, wc->marginal_threshold,
	    wc->income_from, wc->income_to, wc->notice_min_days,
	    wc->data_entry_lock ? wc->data_entry_lock : "-");
	if (wc->nconflicts > 0) {
		fputs("Procedures that contradict each other (a household in "
		      "one cannot start the other: `conflict`):", f);
		for (size_t i = 0; i < wc->nconflicts; i++) {
			const struct wf_conflict *k = &wc->conflicts[i];

			fprintf(f, "%s`%s` and `%s`", i ? "; " : " ", k->a,
			    k->b);
			for (size_t s = 0; s < k->nexcept; s++)
				fprintf(f, "%s`%s`", s ? ", " :
				    " (not once ", k->except[s]);
			if (k->nexcept > 0)
				fputs(")", f);
		}
		fputs(".\n\n", f);
	}
	for (size_t i = 0; i < wf_count(c->wf); i++) {
		const struct wf *w = wf_at(c->wf, i);

		fprintf(f, "### `%s` — %s\n\n", w->name, w->title);
		fprintf(f, "Scope: %s%s. Applies to: ",
		    w->scope == WF_SCOPE_VILLAGE ? "one per village" :
						   "one per household",
		    w->data_entry ? "; data entry (locked after the lock)" :
				    "");
		if (w->napplies_to == 0)
			fputs("any category", f);
		for (size_t k = 0; k < w->napplies_to; k++)
			fprintf(f, "%s`%s`", k ? ", " : "", w->applies_to[k]);
		fputs(".\n\n| state | title | must be left by | minimum "
		      "days | final |\n|---|---|---|---|---|\n",
		    f);
		for (size_t k = 0; k < w->nstates; k++) {
			const struct wf_state *st = &w->states[k];

			fprintf(f, "| `%s` | %s | ", st->name, st->title);
			deadline(f, c, st->leave_by);
			if (st->min_days >= 0)
				fprintf(f, " | %d | ", st->min_days);
			else
				fputs(" | — | ", f);
			fprintf(f, "%s |\n", st->final ? "yes" : "");
		}
		fputs("\n| event | from | to | roles | guards | note | "
		      "register |\n|---|---|---|---|---|---|---|\n",
		    f);
		for (size_t k = 0; k < w->nevents; k++) {
			const struct wf_event *e = &w->events[k];

			fprintf(f, "| `%s` | ", e->name);
			if (e->nfrom == 0)
				fputs("(creates)", f);
			for (size_t j = 0; j < e->nfrom; j++)
				fprintf(f, "%s`%s`", j ? ", " : "", e->from[j]);
			fprintf(f, " | `%s` | ", e->to);
			roles(f, e->roles);
			fputs(" | ", f);
			for (size_t j = 0; j < e->nguards; j++)
				fprintf(f, "%s`%s`", j ? ", " : "",
				    e->guards[j]);
			if (e->not_before)
				fprintf(f, "%snot before `%s`",
				    e->nguards ? "; " : "", e->not_before);
			fprintf(f, " | %s | ", e->note ? "required" : "");
			effects(f, e);
			fputs(" |\n", f);
		}
		fputs("\n<details><summary>Graphviz</summary>\n\n```dot\n", f);
		wf_dot(w, f);
		fputs("```\n</details>\n\n", f);
	}
	fputs("Guards (evaluated in SQL against the database's current "
	      "data):\n\n| guard | rule |\n|---|---|\n",
	    f);
	for (size_t i = 0; wf_guard_name(i) != NULL; i++)
		fprintf(f, "| `%s` | %s |\n", wf_guard_name(i),
		    wf_guard_describe(wf_guard_name(i)));
}
