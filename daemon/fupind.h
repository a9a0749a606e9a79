/*
 * The daemon's shared state: one instance, the global `fupind`, built and
 * freed by main.c. Every subsystem reaches the configuration, the clock,
 * the database and the campaign through it, and only through it (none
 * keeps a copy of the pointer or of its members); the configuration and
 * campaign pointers are swapped whole on reload.
 */
#ifndef FUPIN_FUPIND_H
#define FUPIN_FUPIND_H

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "db.h"

struct control;
struct campaign;

struct fupind {
	struct event_base *base;
	struct config *cfg;
	struct fp_clock *clock;
	struct db *db;		/* requests */
	struct db *db_bg;	/* sweeps and deliveries */
	struct control *control;
	struct campaign *campaign; /* calendar + workflows */
	int schema_version;	/* latest migration in sql_dir */
	char *schema_functions;	/* its function files: migrate_functions_digest */
	int schema_ok;		/* database is at schema_version */
	int ready;		/* READY=1 sent */
	int stopping;
	int64_t started_at;	/* campaign clock at start */
};

extern struct fupind *fupind;

#endif
