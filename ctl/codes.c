/*
 * The campaign's code lists as fupinctl import needs them: reasons, risks,
 * relations and change reasons of <workflows.dir>/<campaign>/campaign.conf,
 * turned into one map per staging column from every form the national
 * system's export may write (the code, its title, either half of the
 * title, an alias; ASCII lower-cased) to the code. The database applies
 * the map (sql/functions/80-import.sql) and reports a value that is in no
 * list with its line and column. fupind validates the same file with its
 * workflow loader; here a list that cannot be read is simply absent.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfgfile.h"
#include "codemap.h"
#include "fupinctl.h"
#include "util.h"

/* Which lists feed which staging column. */
static const struct {
	const char *column;
	const char *lists[3];
} code_columns[] = {
	{ "relapse_reason", { "reasons", "relapse_reasons", NULL } },
	{ "risk", { "marginal_risks", "monitoring_risks", NULL } },
	{ "relation", { "relations", NULL } },
	{ "change_reason", { "change_reasons", NULL } },
};

static void
codes_add_list(json_t *map, const config_setting_t *list)
{
	for (int i = 0; list != NULL && i < config_setting_length(list); i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		const config_setting_t *aliases;
		const char *name = NULL, *title = NULL;

		if (!config_setting_lookup_string(g, "name", &name))
			continue;
		config_setting_lookup_string(g, "title", &title);
		codemap_add_titled(map, name, title);
		aliases = config_setting_get_member(g, "aliases");
		for (int k = 0; aliases != NULL &&
		    k < config_setting_length(aliases); k++) {
			const char *a = config_setting_get_string_elem(aliases,
			    k);

			if (a != NULL)
				codemap_add(map, a, name);
		}
	}
}

/*
 * {column: {form: code}} for the campaign fupind.conf names; columns whose
 * lists are absent are left out (free text). NULL, after saying why on
 * stderr, when campaign.conf cannot be read. The caller owns the result.
 */
json_t *
codes_load(const struct settings *set)
{
	struct errlist errs;
	struct cfgfile cf;
	const config_setting_t *campaign;
	json_t *out = NULL;
	char *path;

	path = xasprintf("%s/%s/campaign.conf", set->v[SET_WORKFLOWS_DIR].s,
	    set->v[SET_WORKFLOWS_CAMPAIGN].s);
	errlist_init(&errs);
	if (cfgfile_open(&cf, path, &errs) != 0 ||
	    (campaign = config_setting_get_member(cfgfile_root(&cf),
	    "campaign")) == NULL) {
		fprintf(stderr, "fupinctl: cannot read the campaign's code "
		    "lists from %s%s%s\n", path, errs.count ? ": " : "",
		    errs.count ? errs.items[0] : "");
		goto out;
	}
	out = json_object();
	for (size_t c = 0; c < nitems(code_columns); c++) {
		json_t *map = json_object();

		for (size_t l = 0; code_columns[c].lists[l] != NULL; l++)
			codes_add_list(map, config_setting_get_member(campaign,
			    code_columns[c].lists[l]));
		if (json_object_size(map) > 0)
			json_object_set_new(out, code_columns[c].column, map);
		else
			json_decref(map);
	}
out:
	cfgfile_close(&cf);
	errlist_free(&errs);
	free(path);
	return out;
}

/*
 * What an import writes besides the rows, as JSON for fupin.import_begin
 * and fupin.open_village_tasks: {campaign, clock (fupind.conf's clock
 * mode: history rows carry the daemon's moment on a manual or simulated
 * clock), tasks: [{workflow, initial}] (the village-scope workflows of
 * the campaign's *.wf files, opened for every village imported), note}.
 * A workflow file that cannot be read is left out: fupind -t reports it.
 * The caller owns the result.
 */
json_t *
campaign_context(const struct settings *set)
{
	json_t *tasks = json_array();
	char *pattern;
	glob_t g;

	pattern = xasprintf("%s/%s/*.wf", set->v[SET_WORKFLOWS_DIR].s,
	    set->v[SET_WORKFLOWS_CAMPAIGN].s);
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct errlist errs;
			struct cfgfile cf;
			const config_setting_t *w;
			const char *name, *scope, *initial;

			errlist_init(&errs);
			if (cfgfile_open(&cf, g.gl_pathv[i], &errs) == 0 &&
			    (w = config_setting_get_member(cfgfile_root(&cf),
			    "workflow")) != NULL &&
			    config_setting_lookup_string(w, "name", &name) &&
			    config_setting_lookup_string(w, "scope", &scope) &&
			    strcmp(scope, "village") == 0 &&
			    config_setting_lookup_string(w, "initial", &initial))
				json_array_append_new(tasks, json_pack("{s:s, s:s}",
				    "workflow", name, "initial", initial));
			cfgfile_close(&cf);
			errlist_free(&errs);
		}
		globfree(&g);
	}
	free(pattern);
	return json_pack("{s:s, s:s, s:o, s:s}", "campaign",
	    set->v[SET_WORKFLOWS_CAMPAIGN].s, "clock",
	    settings_table[SET_CLOCK_MODE].choices[set->v[SET_CLOCK_MODE].e],
	    "tasks", tasks, "note",
	    "opened with the village's import");
}
