/*
 * A campaign as loaded from workflows.dir/CAMPAIGN/: its calendar
 * (calendar.conf) and its workflows (campaign.conf, *.wf). Built whole and
 * swapped whole on reload.
 */
#ifndef FUPIN_CAMPAIGN_H
#define FUPIN_CAMPAIGN_H

#include "util.h"

struct cal;
struct wf_set;

struct campaign {
	char *name;
	char *dir;
	struct cal *cal;
	struct wf_set *wf;
};

struct campaign *campaign_load(const char *dir, const char *name,
    struct errlist *);
void campaign_free(struct campaign *);

#endif
