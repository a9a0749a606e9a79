/*
 * Schema migrations (fupind --migrate).
 *
 * Owns the sql/ directory format, fupin.schema_migration and
 * fupin.schema_function (see sql/README.md for the rules).  Two kinds of
 * file:
 *
 *  - numbered migrations, sql/NNN_name.sql: tables, types, data changes.
 *    Versions run 1, 2, 3... without gaps; each is applied once and
 *    checksummed (FNV-1a 64), so editing one after the fact is an error,
 *    never a silent re-run;
 *  - function files, sql/functions/NN-topic.sql: functions, views and
 *    triggers, written to run again (CREATE OR REPLACE).  All of them are
 *    re-applied, in name order, whenever one changed or a migration was
 *    pending, so that an upgrade replaces the code in place.
 *
 * An upgrade is one transaction: the pending migrations, then the
 * function files, then their bookkeeping rows.  A failing file leaves no
 * trace and is reported with its name and line.  A session advisory lock
 * makes concurrent runs against one database take turns.
 *
 * Blocking libpq on purpose: this runs instead of the event loop.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "migrate.h"
#include "util.h"

/* Larger than any sane migration; keeps a stray file from eating memory. */
#define MIGRATE_MAX_FILE	(16 * 1024 * 1024)
#define MIGRATE_MAX_VERSION	999999
/* pg_advisory_lock key: "fupi" in ASCII. */
#define MIGRATE_LOCK_KEY	"1718972521"

/* Names compared byte-wise, like strcmp: the database's collation may
 * order '-' and digits otherwise. */
const char *const migrate_current_sql =
    "SELECT (SELECT coalesce(max(version), 0) FROM fupin.schema_migration),"
    " (SELECT coalesce(string_agg(name || ' ' || checksum, ','"
    "  ORDER BY name COLLATE \"C\"), '') FROM fupin.schema_function)";

const char *const migrate_login_sql =
    "SELECT session_user, pg_get_userbyid(n.nspowner),"
    " (SELECT rolsuper FROM pg_roles WHERE rolname = session_user),"
    " coalesce(pg_has_role(session_user, n.nspowner, 'MEMBER')"
    "  OR pg_has_role(current_user, n.nspowner, 'MEMBER')"
    "  OR pg_has_role(session_user, c.relowner, 'MEMBER')"
    "  OR pg_has_role(current_user, c.relowner, 'MEMBER'), false)"
    " FROM pg_namespace n"
    " LEFT JOIN pg_class c ON c.oid = to_regclass('fupin.transition')"
    " WHERE n.nspname = 'fupin'";

static const char migrate_bootstrap_sql[] =
    "SET client_min_messages = warning;"
    "CREATE SCHEMA IF NOT EXISTS fupin;"
    "CREATE TABLE IF NOT EXISTS fupin.schema_migration ("
    " version int PRIMARY KEY CHECK (version > 0),"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "COMMENT ON TABLE fupin.schema_migration IS"
    " 'Migrations applied by fupind --migrate, with the checksum of each file';"
    "CREATE TABLE IF NOT EXISTS fupin.schema_function ("
    " name text PRIMARY KEY,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "COMMENT ON TABLE fupin.schema_function IS"
    " 'Function files (sql/functions/) as last applied by fupind --migrate'";

/* The function files, below the migrations' directory. */
#define MIGRATE_FUNCTIONS_DIR	"functions"

struct migration {
	int	 version;	/* 0 for a function file */
	char	*name;		/* "001_schema.sql", "functions/10-util.sql" */
	char	*path;		/* sqldir/name */
	char	*text;		/* file contents, NUL-terminated */
	size_t	 len;
	char	 checksum[17];	/* FNV-1a 64, hex */
};

struct migration_set {
	struct migration	*items;
	size_t			 count;
	size_t			 cap;
};

static void
migration_set_free(struct migration_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		free(set->items[i].text);
		free(set->items[i].path);
		free(set->items[i].name);
	}
	free(set->items);
	memset(set, 0, sizeof(*set));
}

/* A new file of set, named name at path (both owned by the set now). */
static struct migration *
migration_push(struct migration_set *set, char *name, char *path)
{
	struct migration *m;

	if (set->count == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		set->items = xrealloc(set->items,
		    set->cap * sizeof(*set->items));
	}
	m = &set->items[set->count++];
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->path = path;
	return m;
}

/* NNN_name.sql: three or more digits, '_', [A-Za-z0-9_.-]+, ".sql". */
static int
migration_name_parse(const char *name, int *version)
{
	const char *p = name;
	size_t len = strlen(name), digits = 0;
	long v = 0;

	if (len < 4 || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (++digits > 6)
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	if (digits < 3 || *p++ != '_')
		return -1;
	if (p >= name + len - 4)
		return -1;
	for (; p < name + len - 4; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
			return -1;
	*version = (int)v;
	return 0;
}

static int
migration_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * List the migrations of sqldir, sorted, with gaps and duplicate numbers
 * reported.  Files are not read here.
 */
static int
migration_scan(const char *sqldir, struct migration_set *set,
    struct errlist *errs)
{
	DIR *dir;
	struct dirent *de;
	struct stat st;
	int rc = 0;

	if ((dir = opendir(sqldir)) == NULL) {
		errlist_add(errs, sqldir, 0, NULL, "cannot open directory: %s",
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		struct migration *m;
		char *path;
		int version;

		if (migration_name_parse(de->d_name, &version) == -1)
			continue;
		path = xasprintf("%s/%s", sqldir, de->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		m = migration_push(set, xstrdup(de->d_name), path);
		m->version = version;
	}
	closedir(dir);

	if (set->count > 0)
		qsort(set->items, set->count, sizeof(*set->items),
		    migration_cmp);
	for (size_t i = 0; i < set->count; i++) {
		struct migration *m = &set->items[i];

		if (i > 0 && m->version == set->items[i - 1].version) {
			errlist_add(errs, m->path, 0, NULL,
			    "duplicate migration number %03d (also %s)",
			    m->version, set->items[i - 1].name);
			rc = -1;
		} else if (m->version != (i > 0 ?
		    set->items[i - 1].version + 1 : 1)) {
			errlist_add(errs, m->path, 0, NULL,
			    "migration %03d is missing before this one",
			    i > 0 ? set->items[i - 1].version + 1 : 1);
			rc = -1;
		}
	}
	return rc;
}

/* NN-topic.sql and the like: [A-Za-z0-9_.-]+ ending in ".sql". */
static int
function_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len < 5 || name[0] == '.' || strcmp(name + len - 4, ".sql") != 0)
		return 0;
	for (const char *p = name; p < name + len - 4; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
			return 0;
	return 1;
}

static int
function_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/*
 * List the function files of sqldir/functions in name order.  A missing
 * directory is no error: a schema may have none.
 */
static int
functions_scan(const char *sqldir, struct migration_set *set,
    struct errlist *errs)
{
	DIR *dir;
	struct dirent *de;
	struct stat st;
	char *dirpath;

	dirpath = xasprintf("%s/" MIGRATE_FUNCTIONS_DIR, sqldir);
	if ((dir = opendir(dirpath)) == NULL) {
		if (errno == ENOENT) {
			free(dirpath);
			return 0;
		}
		errlist_add(errs, dirpath, 0, NULL, "cannot open directory: %s",
		    strerror(errno));
		free(dirpath);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		char *path;

		if (!function_name_ok(de->d_name))
			continue;
		path = xasprintf("%s/%s", dirpath, de->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		migration_push(set, xasprintf(MIGRATE_FUNCTIONS_DIR "/%s",
		    de->d_name), path);
	}
	closedir(dir);
	free(dirpath);
	if (set->count > 0)
		qsort(set->items, set->count, sizeof(*set->items),
		    function_cmp);
	return 0;
}

static void
fnv1a64_hex(const char *p, size_t len, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int
migration_read(struct migration *m, struct errlist *errs)
{
	FILE *f;
	struct stat st;
	size_t n;

	if ((f = fopen(m->path, "r")) == NULL) {
		errlist_add(errs, m->path, 0, NULL, "cannot open: %s",
		    strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size > MIGRATE_MAX_FILE) {
		errlist_add(errs, m->path, 0, NULL, "unreadable or too large");
		goto fail;
	}
	m->text = xmalloc((size_t)st.st_size + 1);
	n = fread(m->text, 1, (size_t)st.st_size, f);
	if (ferror(f) || n != (size_t)st.st_size) {
		errlist_add(errs, m->path, 0, NULL, "read error");
		goto fail;
	}
	m->text[n] = '\0';
	m->len = n;
	/* A NUL would silently cut the query short in libpq. */
	if (memchr(m->text, '\0', n) != NULL) {
		errlist_add(errs, m->path, 0, NULL, "contains a NUL byte");
		goto fail;
	}
	fnv1a64_hex(m->text, m->len, m->checksum);
	fclose(f);
	return 0;
fail:
	fclose(f);
	free(m->text);
	m->text = NULL;
	return -1;
}

/*
 * PostgreSQL reports positions in characters (1-based) of the whole query
 * string; turn one into a line of the file.
 */
static int
position_to_line(const char *text, size_t len, long pos)
{
	long chars = 0;
	int line = 1;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)text[i] & 0xc0) == 0x80)
			continue;
		if (++chars >= pos)
			break;
		if (text[i] == '\n')
			line++;
	}
	return line;
}

/* Flatten a possibly multi-line libpq message into "a; b". */
static char *
one_line(const char *s)
{
	char *out = xstrdup(s), *p;
	size_t n = strlen(out);

	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	for (p = out; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return out;
}

/*
 * Record a failed command: the server's message with detail, hint and,
 * when it points into a migration file, the line.
 */
static void
report_pg_error(struct errlist *errs, const char *file, const char *text,
    size_t len, PGconn *conn, PGresult *res, const char *what)
{
	const char *primary = NULL, *detail = NULL, *hint = NULL;
	const char *position = NULL, *context = NULL;
	char *msg;
	int line = 0;

	if (res != NULL) {
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
		position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	}
	if (primary == NULL)
		primary = PQerrorMessage(conn);
	if (text != NULL && position != NULL)
		line = position_to_line(text, len, strtol(position, NULL, 10));
	msg = one_line(primary);
	errlist_add(errs, file, line, NULL, "%s%s%s%s%s%s%s%s%s", what,
	    *what != '\0' ? ": " : "", msg,
	    detail != NULL ? " (detail: " : "", detail != NULL ? detail : "",
	    detail != NULL ? ")" : "",
	    hint != NULL ? " (hint: " : "", hint != NULL ? hint : "",
	    hint != NULL ? ")" : "");
	free(msg);
	/* Errors inside a DO block or function carry their place here. */
	if (context != NULL && position == NULL && text != NULL) {
		msg = one_line(context);
		errlist_add(errs, file, 0, NULL, "context: %s", msg);
		free(msg);
	}
}

static int
exec_ok(PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_EMPTY_QUERY;
}

/* Run a fixed command; report failures against "migrate". */
static int
exec_command(PGconn *conn, const char *sql, const char *what,
    struct errlist *errs)
{
	PGresult *res = PQexec(conn, sql);
	int rc = 0;

	if (!exec_ok(res)) {
		report_pg_error(errs, "migrate", NULL, 0, conn, res, what);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static void
notice_to_log(void *arg, const char *message)
{
	char *msg = one_line(message);

	log_debug("migrate: %s", msg);
	free(msg);
}

static PGconn *
migrate_connect(const char *conninfo, struct errlist *errs)
{
	static const char *const keys[] = { "dbname",
		"fallback_application_name", NULL };
	const char *values[] = { conninfo, "fupind-migrate", NULL };
	PGconn *conn;
	char *msg;

	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		msg = one_line(conn != NULL ? PQerrorMessage(conn) :
		    "out of memory");
		errlist_add(errs, "migrate", 0, NULL,
		    "cannot connect to the database: %s", msg);
		free(msg);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice_to_log, NULL);
	return conn;
}

/* Serialise with any other --migrate on this database. */
static int
migrate_lock(PGconn *conn, struct errlist *errs)
{
	PGresult *res;
	int got;

	res = PQexec(conn, "SELECT pg_try_advisory_lock(" MIGRATE_LOCK_KEY ")");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		report_pg_error(errs, "migrate", NULL, 0, conn, res,
		    "advisory lock");
		PQclear(res);
		return -1;
	}
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (got)
		return 0;
	log_info("waiting for another migration of this database to finish");
	return exec_command(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
	    "advisory lock", errs);
}

/*
 * Compare what the database has applied with the directory.  Applied
 * versions must be 1..k, each still present under the same name with the
 * same checksum.  Sets *applied to k.
 */
static int
migrate_verify(PGconn *conn, const struct migration_set *set, int *applied,
    struct errlist *errs)
{
	PGresult *res;
	int rc = 0, rows;

	res = PQexec(conn, "SELECT version, name, checksum "
	    "FROM fupin.schema_migration ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		report_pg_error(errs, "migrate", NULL, 0, conn, res,
		    "reading fupin.schema_migration");
		PQclear(res);
		return -1;
	}
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		int version = atoi(PQgetvalue(res, i, 0));
		const char *name = PQgetvalue(res, i, 1);
		const char *sum = PQgetvalue(res, i, 2);
		const struct migration *m;

		if (version != i + 1) {
			errlist_add(errs, "migrate", 0, NULL,
			    "fupin.schema_migration lacks version %d",
			    i + 1);
			rc = -1;
			break;
		}
		if ((size_t)i >= set->count) {
			errlist_add(errs, "migrate", 0, NULL,
			    "the database has migration %s, which is not "
			    "in the sql directory: is this fupind older "
			    "than the database?", name);
			rc = -1;
			continue;
		}
		m = &set->items[i];
		if (strcmp(m->name, name) != 0) {
			errlist_add(errs, m->path, 0, NULL,
			    "version %d was applied as %s", version, name);
			rc = -1;
		} else if (strcmp(m->checksum, sum) != 0) {
			errlist_add(errs, m->path, 0, NULL,
			    "changed after it was applied (checksum %s, "
			    "applied %s): add a new migration instead",
			    m->checksum, sum);
			rc = -1;
		}
	}
	PQclear(res);
	*applied = rows;
	return rc;
}

/*
 * Run one file inside the upgrade's transaction and, for a numbered
 * migration, record it.  The caller rolls back on failure.
 */
static int
migrate_apply(PGconn *conn, const struct migration *m, struct errlist *errs)
{
	PGresult *res;
	const char *params[3];
	char version[16];

	res = PQexec(conn, m->text);
	if (!exec_ok(res)) {
		report_pg_error(errs, m->path, m->text, m->len, conn, res, "");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	/* The file must not end our transaction under us. */
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		errlist_add(errs, m->path, 0, NULL,
		    "must not contain BEGIN, COMMIT or ROLLBACK");
		return -1;
	}
	if (m->version == 0)
		return 0;

	snprintf(version, sizeof(version), "%d", m->version);
	params[0] = version;
	params[1] = m->name;
	params[2] = m->checksum;
	res = PQexecParams(conn, "INSERT INTO fupin.schema_migration "
	    "(version, name, checksum) VALUES ($1, $2, $3)", 3, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		report_pg_error(errs, m->path, NULL, 0, conn, res,
		    "recording the migration");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* "name checksum,name checksum": what fupin.schema_function records. */
static char *
functions_digest(const struct migration_set *fns)
{
	char *out = xstrdup(""), *next;

	for (size_t i = 0; i < fns->count; i++) {
		next = xasprintf("%s%s%s %s", out, i > 0 ? "," : "",
		    fns->items[i].name, fns->items[i].checksum);
		free(out);
		out = next;
	}
	return out;
}

/* Replace the record of the function files with the set just applied. */
static int
functions_record(PGconn *conn, const struct migration_set *fns,
    struct errlist *errs)
{
	PGresult *res;
	const char *params[2];

	if (exec_command(conn, "DELETE FROM fupin.schema_function",
	    "recording the function files", errs) == -1)
		return -1;
	for (size_t i = 0; i < fns->count; i++) {
		params[0] = fns->items[i].name;
		params[1] = fns->items[i].checksum;
		res = PQexecParams(conn, "INSERT INTO fupin.schema_function "
		    "(name, checksum) VALUES ($1, $2)", 2, NULL, params, NULL,
		    NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			report_pg_error(errs, fns->items[i].path, NULL, 0, conn,
			    res, "recording the function file");
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

/* 1 if the database's function files differ from fns, 0 if not, -1. */
static int
functions_changed(PGconn *conn, const struct migration_set *fns,
    struct errlist *errs)
{
	PGresult *res;
	char *want;
	int changed;

	res = PQexec(conn, migrate_current_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		report_pg_error(errs, "migrate", NULL, 0, conn, res,
		    "reading fupin.schema_function");
		PQclear(res);
		return -1;
	}
	want = functions_digest(fns);
	changed = strcmp(PQgetvalue(res, 0, 1), want) != 0;
	free(want);
	PQclear(res);
	return changed;
}

/*
 * Only the owner migrates. Objects created by another role would belong to
 * it (a superuser's SECURITY DEFINER functions run as the superuser), and
 * a login in fupin_daemon or fupin_import that owned the schema could
 * switch the audit trail's triggers off: the split of 009_roles.sql would
 * mean nothing. On a fresh database the schema is created by this role.
 */
static const char migrate_owner_sql[] =
    "SELECT current_user,"
    " (SELECT nspowner::regrole::text FROM pg_namespace"
    "  WHERE nspname = 'fupin'),"
    " (SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname)"
    "  FROM pg_roles r WHERE r.rolname IN ('fupin_daemon', 'fupin_import')"
    "  AND pg_has_role(current_user, r.oid, 'MEMBER')"
    "  AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))";

static int
migrate_check_owner(PGconn *conn, struct errlist *errs)
{
	PGresult *res;
	int rc = -1;

	res = PQexec(conn, migrate_owner_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		report_pg_error(errs, "migrate", NULL, 0, conn, res,
		    "reading the schema's owner");
		goto out;
	}
	if (!PQgetisnull(res, 0, 1) &&
	    strcmp(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1)) != 0) {
		errlist_add(errs, "migrate", 0, NULL,
		    "connected as %s, but schema fupin belongs to %s: run "
		    "fupind --migrate as %s (the owner)", PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 1));
		goto out;
	}
	if (!PQgetisnull(res, 0, 2)) {
		errlist_add(errs, "migrate", 0, NULL,
		    "%s is a member of %s: the owner that runs --migrate must "
		    "be a role of its own, not the daemon's or the importer's "
		    "(see README, Install)", PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 2));
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

int
migrate_run(const char *conninfo, const char *sqldir, struct errlist *errs)
{
	struct migration_set set = { 0 }, fns = { 0 };
	PGresult *res;
	PGconn *conn = NULL;
	int rc = -1, applied = 0, changed;
	size_t i;

	if (migration_scan(sqldir, &set, errs) == -1)
		goto out;
	if (set.count == 0) {
		errlist_add(errs, sqldir, 0, NULL,
		    "no migrations (NNN_name.sql) found");
		goto out;
	}
	if (functions_scan(sqldir, &fns, errs) == -1)
		goto out;
	for (i = 0; i < set.count; i++)
		if (migration_read(&set.items[i], errs) == -1)
			goto out;
	for (i = 0; i < fns.count; i++)
		if (migration_read(&fns.items[i], errs) == -1)
			goto out;

	if ((conn = migrate_connect(conninfo, errs)) == NULL)
		goto out;
	if (migrate_lock(conn, errs) == -1)
		goto out;
	if (migrate_check_owner(conn, errs) == -1)
		goto out;
	if (exec_command(conn, migrate_bootstrap_sql, "creating "
	    "fupin.schema_migration", errs) == -1)
		goto out;
	if (migrate_verify(conn, &set, &applied, errs) == -1)
		goto out;
	if ((changed = functions_changed(conn, &fns, errs)) == -1)
		goto out;

	if ((size_t)applied == set.count && !changed) {
		log_info("schema is up to date at version %d: nothing applied",
		    applied);
		rc = 0;
		goto out;
	}

	if (exec_command(conn, "BEGIN", "BEGIN", errs) == -1)
		goto out;
	for (i = (size_t)applied; i < set.count; i++)
		if (migrate_apply(conn, &set.items[i], errs) == -1)
			goto rollback;
	/* Every function file, in order: one may depend on another. */
	for (i = 0; i < fns.count; i++)
		if (migrate_apply(conn, &fns.items[i], errs) == -1)
			goto rollback;
	if (functions_record(conn, &fns, errs) == -1)
		goto rollback;
	/* Deferred constraints fire here, so COMMIT can fail too. */
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		report_pg_error(errs, "migrate", NULL, 0, conn, res, "COMMIT");
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	for (i = (size_t)applied; i < set.count; i++)
		log_info("applied %s", set.items[i].name);
	for (i = 0; i < fns.count; i++)
		log_info("applied %s", fns.items[i].name);
	log_info("schema is now at version %d",
	    set.items[set.count - 1].version);
	rc = 0;
	goto out;
rollback:
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
out:
	/* Closing the session releases the advisory lock. */
	if (conn != NULL)
		PQfinish(conn);
	migration_set_free(&fns);
	migration_set_free(&set);
	return rc;
}

int
migrate_latest(const char *sqldir)
{
	struct migration_set set = { 0 };
	struct errlist errs;
	int latest = -1;

	errlist_init(&errs);
	if (migration_scan(sqldir, &set, &errs) == 0)
		latest = set.count > 0 ? set.items[set.count - 1].version : 0;
	migration_set_free(&set);
	errlist_free(&errs);
	return latest;
}

char *
migrate_functions_digest(const char *sqldir)
{
	struct migration_set fns = { 0 };
	struct errlist errs;
	char *digest = NULL;
	size_t i;

	errlist_init(&errs);
	if (functions_scan(sqldir, &fns, &errs) == -1)
		goto out;
	for (i = 0; i < fns.count; i++)
		if (migration_read(&fns.items[i], &errs) == -1)
			goto out;
	digest = functions_digest(&fns);
out:
	migration_set_free(&fns);
	errlist_free(&errs);
	return digest;
}
