/*
 * Table rows of the verbs implemented by other subsystems, spliced into
 * the command table in cmd.c. Each subsystem adds its row here and its
 * handler prototype below.
 */
#ifndef FUPIN_CMD_VERBS_H
#define FUPIN_CMD_VERBS_H

#include "cmd.h"

#define CMD_VERBS_ENGINE

#endif
