/*
 * Roles: who may see and do what. One list for the access file, the
 * status protocol, the workflow files' `roles` and every text that names
 * them. Pure.
 */
#ifndef FUPIN_ROLE_H
#define FUPIN_ROLE_H

#include <stddef.h>

/* In increasing order of what they may see and do: a verb names the least
 * role that may use it. */
enum role { ROLE_NONE, ROLE_VILLAGE, ROLE_CITY, ROLE_TOWNSHIP, ROLE_ADMIN };

/* A set of roles, such as who may send a workflow event. */
#define ROLE_BIT(r) (1u << (r))

/* "village", "city", "township", "admin"; "none" for ROLE_NONE. */
const char *role_name(enum role);
/* ROLE_NONE for anything that is not one of the four names. */
enum role role_from_name(const char *);
/* 1 for village, township, city or admin. */
int role_valid(const char *);
/* The roles of mask other than admin (who may do anything), as the
 * workflow files list them ("village, township"), or "admin" if none;
 * into buf. */
const char *role_mask_text(unsigned mask, char *buf, size_t len);

#endif
