/*
 * IMPORT: loading the register (villages, households, members) through
 * the daemon, so that who may import is decided by the daemon's roles
 * (township and admin) and the audit names the principal, whatever the
 * database's own authentication.
 *
 *   IMPORT BEGIN KIND META   META: {"present": [columns], "file": NAME,
 *                            "bytes": SIZE}; answers the upload id and
 *                            the limits
 *   IMPORT ROWS JSON         a JSON array of rows ({"line": N, column:
 *                            value, ...}), at most IMPORT_MAX_LINE bytes;
 *                            stored before it is answered
 *   IMPORT COMMIT            the database's checks, then, if no line is
 *                            bad, the upsert with its audit, all in one
 *                            statement; answers the counts or every bad
 *                            line (at most what one answer holds)
 *   IMPORT CHECK             the checks only; nothing is written
 *   IMPORT ABORT             forget the upload
 *
 * The event loop only forwards text: each ROWS is one statement
 * (fupin.import_rows) that parses the JSON into the typed staging table
 * of 012_import_upload.sql, keyed by the upload's id, so that the pool may
 * run the statements of an upload on any of its connections. Nothing
 * reaches the register before COMMIT, whose one statement applies all or
 * nothing and deletes the staging rows. A connection that drops, an
 * error, or a limit exceeded discards the upload; uploads a dead daemon
 * left are cleared at its next start and, from any daemon, by age.
 *
 * Limits: control.max_upload bytes of rows per upload, control.max_uploads
 * uploads at once, control.import_timeout for COMMIT. One request is in
 * flight per client (control.c), which is the back-pressure: a client
 * sends its next chunk when the last one is stored.
 */
#include <sys/types.h>

#include <event2/event.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "cmd.h"
#include "codemap.h"
#include "campaign.h"
#include "db.h"
#include "engine.h"
#include "fupind.h"
#include "import.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "workflow.h"

/* How often forgotten uploads are looked for. */
#define IMPORT_EXPIRE_EVERY 60
/* Columns a META's present may name. */
#define IMPORT_MAX_PRESENT 32

static const char *const import_kinds[] = { "villages", "households",
	"members" };

struct import_upload {
	struct client *client;
	long long id;		/* fupin.import_upload; 0 until BEGIN's answer */
	const char *kind;	/* one of import_kinds */
	json_t *present;	/* array of staging column names */
	char *file;
	long long bytes;	/* of rows received */
	long long rows;
};

static int nuploads;
static struct event *ev_expire;
static unsigned long long error_serial;

extern const struct cmd_entry cmd_import_entry;

size_t
import_max_line(const struct client *c)
{
	return c->upload != NULL && c->upload->id > 0 ? IMPORT_MAX_LINE : 0;
}

static void
discard_done(const PGresult *res, const char *err, void *arg)
{
	char *id = arg;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warnx("import: upload %s not discarded (%s); it expires "
			  "by age",
		    id, res ? PQresultErrorMessage(res) : err);
	free(id);
}

/* Forget c's upload: in the database (staging rows), then here. */
static void
upload_end(struct client *c, int discard)
{
	struct import_upload *u = c->upload;

	if (u == NULL)
		return;
	if (discard && u->id > 0) {
		char *id = xasprintf("%lld", u->id);
		const char *params[1] = { id };

		if (db_query(fupind->db, "SELECT fupin.import_discard($1)", 1,
		    params, discard_done, id) < 0) {
			log_info("import: upload %s left to expire (database "
				 "unavailable)", id);
			free(id);
		}
	}
	c->upload = NULL;
	nuploads--;
	metrics_gauge_set("imports", NULL, (double)nuploads);
	json_decref(u->present);
	free(u->file);
	free(u);
}

/* This daemon, as import_upload.owner names it: host and socket. Caller
 * frees. */
static char *
import_owner(void)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	return xasprintf("%s:%s", host, fupind->cfg->control_socket);
}

void
import_client_gone(struct client *c)
{
	if (c->upload != NULL)
		log_info("import: client %llu (%s) left; upload %lld "
			 "discarded",
		    (unsigned long long)c->id, c->principal, c->upload->id);
	upload_end(c, 1);
}

/* ---- the database's answers ---- */

enum step { STEP_BEGIN, STEP_ROWS, STEP_COMMIT };

struct call {
	struct client *client;
	enum step step;
	long long chunk;	/* ROWS: bytes of this chunk */
};

/* A failed statement: the client's data (a value of the wrong type, a
 * constraint) is bad_data with the database's words about it; anything
 * else goes to the log with an id the client can quote. */
static void
reply_db_error(struct client *c, const PGresult *res, const char *err)
{
	const char *state, *primary;
	char *id;

	if (res == NULL) {
		client_error(c, "unavailable", "%s; nothing was imported", err);
		return;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (state != NULL && (strncmp(state, "22", 2) == 0 ||
	    strncmp(state, "23", 2) == 0)) {
		client_error(c, "bad_data", "the database refused a row: %s; "
		    "nothing was imported", primary ? primary : "?");
		return;
	}
	id = xasprintf("E%llu-i%llu", (unsigned long long)c->id,
	    ++error_serial);
	log_warnx("import: %s failed [%s] (client %llu, %s): SQLSTATE %s: %s",
	    c->verb, id, (unsigned long long)c->id, c->principal,
	    state ? state : "?", primary ? primary : "?");
	if (state != NULL && strcmp(state, "57014") == 0)
		client_error(c, "timeout", "the database took longer than "
		    "control.import_timeout; nothing was imported (error %s)",
		    id);
	else if (state != NULL && strcmp(state, "P0002") == 0)
		client_error(c, "state", "the upload is gone (it expired, or "
		    "the database restarted); nothing was imported (error %s)",
		    id);
	else
		client_error(c, "internal", "the database refused the import "
		    "(error %s; the daemon's log has the details); nothing was "
		    "imported", id);
	free(id);
}

static void
call_done(const PGresult *res, const char *err, void *arg)
{
	struct call *call = arg;
	struct client *c = call->client;
	struct import_upload *u = c->upload;
	json_t *answer;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		/* The upload cannot go on: its client starts again. */
		upload_end(c, 1);
		reply_db_error(c, res, err ? err : "no answer");
		goto done;
	}
	switch (call->step) {
	case STEP_BEGIN:
		u->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		log_info("import: client %llu (%s): upload %lld of %s from %s",
		    (unsigned long long)c->id, c->principal, u->id, u->kind,
		    u->file ? u->file : "?");
		client_reply(c, json_pack("{s:b, s:I, s:s, s:I, s:I}", "ok", 1,
		    "upload", (json_int_t)u->id, "kind", u->kind, "max_line",
		    (json_int_t)IMPORT_MAX_LINE, "max_upload",
		    (json_int_t)fupind->cfg->control_max_upload));
		break;
	case STEP_ROWS: {
		long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);

		u->rows += n;
		client_reply(c, json_pack("{s:b, s:I, s:I, s:I}", "ok", 1,
		    "rows", (json_int_t)n, "total", (json_int_t)u->rows,
		    "bytes", (json_int_t)u->bytes));
		break;
	}
	case STEP_COMMIT:
		/* The statement deleted the upload either way. */
		answer = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		if (answer == NULL) {
			upload_end(c, 1);
			client_error(c, "internal", "bad answer from the "
			    "database");
			break;
		}
		json_object_set_new(answer, "kind", json_string(u->kind));
		log_info("import: client %llu (%s): upload %lld of %s: %s",
		    (unsigned long long)c->id, c->principal, u->id, u->kind,
		    json_is_true(json_object_get(answer, "ok")) ? "done" :
		    "refused (bad lines)");
		upload_end(c, 0);
		if (json_is_true(json_object_get(answer, "ok")))
			metrics_count("imports", c->verb, 1);
		client_reply(c, answer);
		break;
	}
done:
	free(call);
}

static void
ask(struct client *c, enum step step, const char *sql, int n,
    const char *const *params, int timeout)
{
	struct call *call = xcalloc(1, sizeof(*call));

	call->client = c;
	call->step = step;
	if (db_query_timeout(fupind->db, sql, n, params, timeout, call_done,
	    call) < 0) {
		free(call);
		upload_end(c, 1);
		client_error(c, "unavailable", "the database is unavailable; "
		    "nothing was imported");
	}
}

/* ---- the steps ---- */

static void
import_begin(struct client *c, struct cmd_args *a)
{
	const char *kind = NULL, *params[1];
	struct import_upload *u;
	json_t *meta, *present, *v, *p;
	json_error_t jerr;
	json_int_t declared;
	char *owner, *text;
	size_t i;

	if (a->argc != 4) {
		client_error(c, "usage", "usage: IMPORT BEGIN KIND META, "
		    "META a JSON object: {\"present\": [columns], \"file\": "
		    "NAME, \"bytes\": SIZE}");
		return;
	}
	for (i = 0; i < nitems(import_kinds); i++)
		if (strcasecmp(a->argv[2], import_kinds[i]) == 0)
			kind = import_kinds[i];
	if (kind == NULL) {
		cmd_reply_unknown(c, "usage", "import kind", a->argv[2],
		    import_kinds, nitems(import_kinds), 1, NULL);
		return;
	}
	if (c->upload != NULL) {
		client_error(c, "state", "an import is already in progress on "
		    "this connection (IMPORT COMMIT or IMPORT ABORT it first)");
		return;
	}
	meta = json_loads(a->rest[3], 0, &jerr);
	present = json_object_get(meta, "present");
	if (!json_is_object(meta) || !json_is_array(present) ||
	    json_array_size(present) > IMPORT_MAX_PRESENT) {
		json_decref(meta);
		client_error(c, "usage", "META must be a JSON object with "
		    "\"present\": the file's columns (at most %d)",
		    IMPORT_MAX_PRESENT);
		return;
	}
	json_array_foreach(present, i, v) {
		if (!json_is_string(v) || json_string_length(v) > 64) {
			json_decref(meta);
			client_error(c, "usage", "\"present\" holds column "
			    "names");
			return;
		}
	}
	declared = json_integer_value(json_object_get(meta, "bytes"));
	if (declared > fupind->cfg->control_max_upload) {
		client_error(c, "too_large", "the file is %lld bytes, more "
		    "than an import may send (control.max_upload = %lld "
		    "bytes); nothing was imported", (long long)declared,
		    (long long)fupind->cfg->control_max_upload);
		json_decref(meta);
		return;
	}
	if (nuploads >= fupind->cfg->control_max_uploads) {
		client_error(c, "busy", "%d imports are in progress "
		    "(control.max_uploads); try again when one is done",
		    nuploads);
		json_decref(meta);
		return;
	}
	if (!engine_campaign_ready()) {
		client_error(c, "unavailable", "the database is %s; try again "
		    "shortly", db_state(fupind->db) == DB_UP ?
		    "being prepared" : "unavailable");
		json_decref(meta);
		return;
	}

	u = xcalloc(1, sizeof(*u));
	u->client = c;
	u->kind = kind;
	u->present = json_incref(present);
	if (json_is_string(json_object_get(meta, "file")))
		u->file = xstrdup(json_string_value(json_object_get(meta,
		    "file")));
	c->upload = u;
	nuploads++;
	metrics_gauge_set("imports", NULL, (double)nuploads);

	owner = import_owner();
	p = json_pack("{s:s, s:s, s:s, s:s?}", "kind", kind, "principal",
	    c->principal, "owner", owner, "file", u->file);
	free(owner);
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	json_decref(meta);
	params[0] = text;
	ask(c, STEP_BEGIN, "SELECT fupin.import_open($1::jsonb)", 1, params,
	    0);
	free(text);
}

static void
import_rows(struct client *c, struct cmd_args *a)
{
	struct import_upload *u = c->upload;
	const char *params[3];
	char id[32];
	long long n;

	if (a->argc < 3) {
		client_error(c, "usage", "usage: IMPORT ROWS JSON (an array "
		    "of rows)");
		return;
	}
	n = (long long)strlen(a->rest[2]);
	if (u->bytes + n > fupind->cfg->control_max_upload) {
		log_info("import: client %llu (%s): upload %lld over "
			 "control.max_upload; discarded",
		    (unsigned long long)c->id, c->principal, u->id);
		upload_end(c, 1);
		client_error(c, "too_large", "the import's rows come to more "
		    "than %lld bytes (control.max_upload); nothing was "
		    "imported", (long long)fupind->cfg->control_max_upload);
		return;
	}
	u->bytes += n;
	snprintf(id, sizeof(id), "%lld", u->id);
	params[0] = id;
	params[1] = u->kind;
	params[2] = a->rest[2];
	ask(c, STEP_ROWS, "SELECT fupin.import_rows($1::bigint, $2, $3)", 3,
	    params, 0);
}

static void
add_codes(json_t *map, const struct wf_label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		codemap_add_titled(map, l[i].name, l[i].title);
		for (size_t k = 0; k < l[i].naliases; k++)
			codemap_add(map, l[i].aliases[k], l[i].name);
	}
}

/* An empty list is no list: the column stays free text. */
static void
set_list(json_t *codes, const char *column, json_t *map)
{
	if (json_object_size(map) > 0)
		json_object_set_new(codes, column, map);
	else
		json_decref(map);
}

/*
 * {column: {form: code}} of the campaign's code lists (common/codemap.h),
 * as MEMBER maps them.
 */
static json_t *
import_codes(void)
{
	const struct wf_campaign *wc = wf_campaign(fupind->campaign->wf);
	json_t *codes = json_object(), *m[4];

	for (size_t i = 0; i < nitems(m); i++)
		m[i] = json_object();
	add_codes(m[0], wc->reasons, wc->nreasons);
	add_codes(m[0], wc->relapse_reasons, wc->nrelapse_reasons);
	add_codes(m[1], wc->marginal_risks, wc->nmarginal_risks);
	add_codes(m[1], wc->monitoring_risks, wc->nmonitoring_risks);
	add_codes(m[2], wc->relations, wc->nrelations);
	add_codes(m[3], wc->change_reasons, wc->nchange_reasons);
	set_list(codes, "relapse_reason", m[0]);
	set_list(codes, "risk", m[1]);
	set_list(codes, "relation", m[2]);
	set_list(codes, "change_reason", m[3]);
	return codes;
}

static void
import_commit(struct client *c, struct cmd_args *a, int apply)
{
	struct import_upload *u = c->upload;
	json_t *p, *tasks = json_array();
	char now[ISO_BUFSIZE], *text;
	const char *params[1];
	long long max_errors = fupind->cfg->control_max_output / 512;

	for (size_t i = 0; i < wf_count(fupind->campaign->wf); i++) {
		const struct wf *w = wf_at(fupind->campaign->wf, i);

		if (w->scope == WF_SCOPE_VILLAGE)
			json_array_append_new(tasks, json_pack("{s:s, s:s}",
			    "workflow", w->name, "initial", w->initial));
	}
	p = json_pack("{s:I, s:s, s:b, s:O, s:o, s:s, s:s, s:s, s:o, s:s, "
		      "s:I}",
	    "upload", (json_int_t)u->id, "kind", u->kind, "apply", apply,
	    "present", u->present, "codes", import_codes(), "actor",
	    c->principal, "now", iso_format(clock_now(fupind->clock),
		ISO_SHANGHAI_OFFSET, now, sizeof(now)),
	    "campaign", fupind->campaign->name, "tasks", tasks, "note",
	    "opened with the village's import", "max_errors",
	    (json_int_t)(max_errors < 10 ? 10 : max_errors));
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	params[0] = text;
	/* The whole file in one statement: it may take long. */
	client_set_deadline(c, (int)fupind->cfg->control_import_timeout + 5);
	ask(c, STEP_COMMIT, "SELECT fupin.import_commit($1::jsonb)::text", 1,
	    params, (int)fupind->cfg->control_import_timeout);
	free(text);
}

static void
cmd_import(struct client *c, struct cmd_args *a)
{
	const char *step = a->argv[1];

	if (strcasecmp(step, "BEGIN") == 0) {
		import_begin(c, a);
		return;
	}
	if (strcasecmp(step, "ABORT") == 0) {
		int had = c->upload != NULL;

		upload_end(c, 1);
		client_reply(c, json_pack("{s:b, s:b}", "ok", 1, "discarded",
		    had));
		return;
	}
	if (strcasecmp(step, "ROWS") != 0 && strcasecmp(step, "COMMIT") != 0 &&
	    strcasecmp(step, "CHECK") != 0) {
		static const char *const steps[] = { "BEGIN", "ROWS", "COMMIT",
			"CHECK", "ABORT" };

		cmd_reply_unknown(c, "usage", "IMPORT step", step, steps,
		    nitems(steps), 1, NULL);
		return;
	}
	if (c->upload == NULL) {
		client_error(c, "state", "no import in progress on this "
		    "connection: IMPORT BEGIN KIND META first");
		return;
	}
	if (strcasecmp(step, "ROWS") == 0)
		import_rows(c, a);
	else if (a->argc != 2)
		client_error(c, "usage", "usage: IMPORT %s", step);
	else
		import_commit(c, a, strcasecmp(step, "COMMIT") == 0);
}

const struct cmd_entry cmd_import_entry = {
	.name = "IMPORT",
	.args = { 1, 3 },
	.role = ROLE_TOWNSHIP,
	.flags = CMD_REST_OF_LINE,
	.exec = cmd_import,
	.example = "IMPORT BEGIN villages {\"present\":[\"village_id\","
	    "\"name\",\"township\"],\"file\":\"villages.csv\"}",
	.usage = "IMPORT BEGIN KIND META | IMPORT ROWS JSON | IMPORT COMMIT "
	    "| IMPORT CHECK | IMPORT ABORT",
	.help = "load villages, households or members (fupinctl import "
	    "sends these): an upload of rows, checked and written all or "
	    "nothing at COMMIT",
};

/* ---- forgotten uploads ---- */

static void
expire_done(const PGresult *res, const char *err, void *arg)
{
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warnx("import: cannot clear forgotten uploads: %s",
		    res ? PQresultErrorMessage(res) : err);
	else if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		log_info("import: cleared %s forgotten upload(s)",
		    PQgetvalue(res, 0, 0));
}

static void
expire(int at_start)
{
	char *owner, *text;
	const char *params[1];
	json_t *p;

	/* A client may be silent idle_timeout between chunks, and COMMIT
	 * runs up to import_timeout without touching its upload. */
	p = json_pack("{s:I}", "idle", (json_int_t)(
	    fupind->cfg->control_idle_timeout +
	    fupind->cfg->control_import_timeout + 60));
	if (at_start) {
		owner = import_owner();
		json_object_set_new(p, "owner", json_string(owner));
		free(owner);
	}
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	params[0] = text;
	db_query(fupind->db, "SELECT fupin.import_expire($1::jsonb)", 1,
	    params, expire_done, NULL);
	free(text);
}

static void
expire_cb(evutil_socket_t fd, short what, void *arg)
{
	if (engine_campaign_ready())
		expire(0);
}

void
import_campaign_synced(void)
{
	struct timeval tv = { IMPORT_EXPIRE_EVERY, 0 };

	if (ev_expire != NULL)
		return;
	/* What this daemon served before it (re)started is dead. */
	expire(1);
	ev_expire = event_new(fupind->base, -1, EV_PERSIST, expire_cb, NULL);
	if (ev_expire != NULL)
		event_add(ev_expire, &tv);
}

void
import_free(void)
{
	if (ev_expire != NULL)
		event_free(ev_expire);
	ev_expire = NULL;
}
