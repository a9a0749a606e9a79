/* Loads a campaign's calendar, then its workflows, whose deadlines must
 * name calendar items (see campaign.h). */
#include <stdlib.h>

#include "calendar.h"
#include "campaign.h"
#include "workflow.h"

struct campaign *
campaign_load(const char *dir, const char *name, struct errlist *errs)
{
	struct campaign *c = xcalloc(1, sizeof(*c));
	char *path;

	c->name = xstrdup(name);
	c->dir = xasprintf("%s/%s", dir, name);
	path = xasprintf("%s/calendar.conf", c->dir);
	c->cal = cal_load(path, errs);
	free(path);
	if (c->cal == NULL)
		goto fail;
	c->wf = wf_load(dir, name, cal_exists, c->cal, errs);
	if (c->wf == NULL)
		goto fail;
	return c;
fail:
	campaign_free(c);
	return NULL;
}

void
campaign_free(struct campaign *c)
{
	if (c == NULL)
		return;
	wf_free(c->wf);
	cal_free(c->cal);
	free(c->dir);
	free(c->name);
	free(c);
}
