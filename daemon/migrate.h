/*
 * Schema migrations: the numbered files of sql/ (NNN_name.sql) applied in
 * order, each in its own transaction, and recorded in
 * fupin.schema_migration with a checksum so an edited file is caught.
 *
 * Blocking libpq: used by fupind --migrate, and by one check at start-up
 * before the event loop runs; never inside the loop.
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
 * Start-up check: 0 if the database is at least at migrate_latest(sqldir)
 * (a newer database is logged and accepted: migrations only add), -1 with
 * "run fupind --migrate" in errs otherwise.
 */
int migrate_check(const char *conninfo, const char *sqldir,
    struct errlist *errs);

/* One row, one column: the database's schema version (0 = none applied).
 * Fails with SQLSTATE 42P01 when the database was never migrated. */
extern const char *const migrate_current_sql;

#endif
