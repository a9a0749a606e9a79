/*
 * The deadline engine: one timer, armed for the next moment anything can
 * fall due (the database computes it), and a sweep that writes every alert
 * due by now into the outbox in one transaction. Also the verbs that read
 * or change deadlines and alerts (ALERTS, EXTEND, in the command table)
 * and CLOCK's wait for the sweep at the new moment.
 */
#ifndef FUPIN_DEADLINE_H
#define FUPIN_DEADLINE_H

#include "cmd.h"

void deadline_init(void);
void deadline_free(void);
void deadline_db_ready(void);
void deadline_db_down(void);
/* Sweep now (after a clock change, an extension, a reload). */
void deadline_sweep_soon(void);
/* Answer c with answer once a sweep at the current clock has finished. */
void deadline_reply_after_sweep(struct client *c, json_t *answer);
int deadline_idle(void);
/* The alert settings as fupin.sweep and fupin.next_alert read them (with
 * the campaign and the clock's now); caller owns it. */
json_t *deadline_alert_params(void);

#endif
