/*
 * The pages' HTML (web_page.c), rendered from the jsonb the page
 * functions of sql/functions/95-pages.sql return. Phone first (one
 * column, nothing wider than the screen), printable, no script, no
 * network: the style is inline. Every value goes through html_printf.
 */
#ifndef FUPIN_WEB_PAGE_H
#define FUPIN_WEB_PAGE_H

#include <jansson.h>

#include "role.h"

struct evbuffer;

/* Who is looking; NULL on the login page. */
struct page_who {
	const char *principal;
	enum role role;
	const char *village;
	const char *csrf;
};

/* The fields of a refused step, to fill the form again. */
struct page_form {
	const char *household, *workflow, *event, *note;
};

void page_login(struct evbuffer *, const char *error);
void page_message(struct evbuffer *, const char *title, const char *text,
    const struct page_who *);
void page_village(struct evbuffer *, const json_t *data,
    const struct page_who *, const char *flash, const json_t *refusal,
    const struct page_form *);
void page_township(struct evbuffer *, const json_t *data,
    const struct page_who *);

#endif
