/*
 * Workflow documentation generated from the loaded files: Markdown tables
 * of states and events and the Graphviz picture, so that the README says
 * exactly what fupind enforces (`fupind --describe`).
 */
#ifndef FUPIN_WFDOC_H
#define FUPIN_WFDOC_H

#include <stdio.h>

struct campaign;

void wfdoc_markdown(const struct campaign *, FILE *);

#endif
