/*
 * fupinctl list / tables: the documents fupind builds (LIST, TABLES),
 * fetched page by page (docs.c) and rendered as CSV (docs.c), HTML
 * (docs_html.c) or xlsx (docs_xlsx.c). The renderers see only struct doc.
 */
#ifndef DOCS_H
#define DOCS_H

#include <stdio.h>

#include <jansson.h>

struct doc {
	int tables;	    /* TABLES: a row is one household's table */
	const char *kind;   /* LIST's kind as the daemon names it */
	const char *title;  /* 村级公示名单, ... */
	const char *township, *village_name; /* village_name NULL: township */
	const char *generated;		      /* YYYY-MM-DD, daemon's clock */
	json_t *first;	 /* the first page: owns title, columns, subtotals */
	json_t *columns; /* [{key, title, type}] */
	json_t *rows;	 /* every page's rows, in order */
	json_t *subtotals, *total;
};

/* A cell as text ("" for null, 是/否 for yesno, money without ".00"). */
void doc_cell_text(json_t *v, const char *type, char *buf, size_t size);
/* 1 if text would be taken for a formula by a spreadsheet. */
int doc_formula_like(const char *text);
/* "勐戛镇芒海村" or "勐戛镇": who the document is of. Static buffer. */
const char *doc_scope(const struct doc *);

/* Each writes the whole document to f (HTML) or path (xlsx); -1 and a
 * message on stderr on failure. rows_from/rows_to: the rows of one village
 * for a per-village tables file (-1: all). */
int doc_write_html(FILE *f, const struct doc *, int from, int to);
int doc_write_xlsx(const char *path, const struct doc *);

#endif
