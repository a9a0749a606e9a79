/*
 * The forms a value of a campaign code list may take (the code, its title,
 * either half of "中文 / English", an alias) mapped to the code: the map
 * fupinctl import and the daemon's MEMBER both build, so that they store
 * the same codes. Keys are ASCII lower-cased. Pure.
 */
#ifndef FUPIN_CODEMAP_H
#define FUPIN_CODEMAP_H

#include <jansson.h>

/* form -> code, unless form is empty or already mapped. */
void codemap_add(json_t *map, const char *form, const char *code);
/* name, title (may be NULL) and the halves of a "中文 / English" title. */
void codemap_add_titled(json_t *map, const char *name, const char *title);

#endif
