/* The engine (see engine.h). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fupind.h"
#include "log.h"

static int engine_stopping;

void
engine_init(void)
{
}

void
engine_free(void)
{
}

void
engine_db_ready(void)
{
}

void
engine_db_down(void)
{
}

void
engine_reconfigure(void)
{
}

void
engine_notified(const char *channel, const char *payload)
{
	log_debug("database: notification on %s: %s", channel,
	    payload ? payload : "");
}

void
engine_stop(void)
{
	engine_stopping = 1;
}

int
engine_idle(void)
{
	return 1;
}
