/* Roles (see role.h). */
#include <string.h>

#include "role.h"
#include "util.h"

/* In the order people read them in the workflow files and the manuals. */
static const struct {
	enum role role;
	const char *name;
} roles[] = {
	{ ROLE_VILLAGE, "village" },
	{ ROLE_TOWNSHIP, "township" },
	{ ROLE_CITY, "city" },
	{ ROLE_ADMIN, "admin" },
};

const char *
role_name(enum role r)
{
	for (size_t i = 0; i < nitems(roles); i++)
		if (roles[i].role == r)
			return roles[i].name;
	return "none";
}

enum role
role_from_name(const char *s)
{
	for (size_t i = 0; i < nitems(roles); i++)
		if (strcmp(roles[i].name, s) == 0)
			return roles[i].role;
	return ROLE_NONE;
}

int
role_valid(const char *s)
{
	return role_from_name(s) != ROLE_NONE;
}

const char *
role_mask_text(unsigned mask, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < nitems(roles); i++) {
		if (roles[i].role == ROLE_ADMIN ||
		    !(mask & ROLE_BIT(roles[i].role)))
			continue;
		if (buf[0] != '\0')
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, roles[i].name, len - strlen(buf) - 1);
	}
	if (buf[0] == '\0')
		strlcpy_safe(buf, "admin", len);
	return buf;
}
