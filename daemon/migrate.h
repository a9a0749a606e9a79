/*
 * Schema migrations: the numbered files of sql/ (NNN_name.sql) applied once
 * each, in order, and recorded in fupin.schema_migration with a checksum so
 * an edited file is caught; then the function files of sql/functions/,
 * re-applied whenever they changed.  One transaction per upgrade.
 *
 * Blocking libpq: used by fupind --migrate only, never inside the loop.
 */
#ifndef FUPIN_MIGRATE_H
#define FUPIN_MIGRATE_H

struct errlist;

/*
 * Apply the pending migrations of sqldir to the database.  Two runs at
 * once serialise on an advisory lock.  0 when the schema is current
 * (logs "applied NNN_name.sql" per file), -1 with the reasons in errs.
 */
int migrate_run(const char *conninfo, const char *sqldir,
    struct errlist *errs);

/* Highest version in sqldir; -1 if it is unreadable or its numbers are bad. */
int migrate_latest(const char *sqldir);

/*
 * What fupin.schema_function must hold for the function files of sqldir
 * ("functions/10-util.sql 0123abcd...,..."), as the second column of
 * migrate_current_sql returns it; NULL if the files are unreadable.
 * The caller frees it.
 */
char *migrate_functions_digest(const char *sqldir);

/* One row: the database's schema version (0 = none applied) and its
 * function files (see migrate_functions_digest).  Fails with SQLSTATE
 * 42P01 when the database was never migrated by this version. */
extern const char *const migrate_current_sql;

/* One row: the login (session_user), the schema's owner, whether the
 * login is a superuser, and whether it may act as the owner of schema
 * fupin or of its audit table (then the audit trail is append-only only
 * by triggers the login could disable). No row before the first
 * --migrate. */
extern const char *const migrate_login_sql;

#endif
