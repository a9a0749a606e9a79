/*
 * IMPORT: the register comes in through the daemon (fupinctl import), as
 * an upload in three steps on one connection: BEGIN, ROWS (as many as it
 * takes), COMMIT. See import.c.
 */
#ifndef FUPIN_IMPORT_H
#define FUPIN_IMPORT_H

#include <stddef.h>

/* Longest IMPORT ROWS line (the other requests keep CTL_MAX_LINE). */
#define IMPORT_MAX_LINE (1024 * 1024)

struct client;

/* The longest request line c may send now: IMPORT_MAX_LINE while it has
 * an upload open, else 0 (the general limit). */
size_t import_max_line(const struct client *);
/* c is going away: its upload, if any, is discarded. */
void import_client_gone(struct client *);
/* The campaign is in the database: clear what a previous run of this
 * daemon left, and from now on expire forgotten uploads by age. */
void import_campaign_synced(void);
void import_free(void);

#endif
