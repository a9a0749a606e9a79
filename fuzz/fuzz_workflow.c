/* A workflow file (<dir>/2019/fuzz.wf) beside the shipped campaign.conf. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fupin-fuzz-wf-XXXXXX";
static char wf_path[128];

static void
setup(void)
{
	char sub[128], conf[128], cmd[512];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sub, sizeof(sub), "%s/2019", dir);
	snprintf(conf, sizeof(conf), "%s/campaign.conf", sub);
	snprintf(wf_path, sizeof(wf_path), "%s/fuzz.wf", sub);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s'", sub,
	    FUZZ_CAMPAIGN_CONF, conf);
	if (system(cmd) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist errs;
	struct wf_set *set;
	FILE *f;

	if (wf_path[0] == '\0')
		setup();
	if ((f = fopen(wf_path, "w")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	errlist_init(&errs);
	set = wf_load(dir, "2019", NULL, NULL, &errs);
	if (set == NULL && errs.count == 0)
		abort();
	wf_free(set);
	errlist_free(&errs);
	return 0;
}
