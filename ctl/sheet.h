/*
 * One worksheet of an Excel workbook, read into memory as rows of cells
 * for fupinctl import: .xlsx through libzip and expat (shared and inline
 * strings, numbers, truth values, error cells, sparse rows with "AB12"
 * references, the first sheet found through xl/workbook.xml and its
 * relationships, merged ranges, the 1904 date system), .xls through
 * libfreexl. It says what each cell holds and whether it was a formula;
 * what a column means is import.c's business.
 *
 * Hostile input is bounded: at most SHEET_MAX_COLUMNS columns, a part of
 * at most SHEET_MAX_PART bytes once unpacked, no DTD in any XML part.
 */
#ifndef FUPIN_SHEET_H
#define FUPIN_SHEET_H

#include <stddef.h>

#define SHEET_MAX_COLUMNS 1024
#define SHEET_MAX_ROWS 1048576
#define SHEET_MAX_PART (1024L * 1024 * 1024)
#define SHEET_MAX_TEXT (1024 * 1024)

enum sheet_kind {
	SHEET_EMPTY,
	SHEET_TEXT,
	SHEET_NUMBER,	/* text holds the number as the file wrote it */
	SHEET_BOOL,	/* text "1" or "0" */
	SHEET_DATE,	/* text "YYYY-MM-DD" or an ISO date-time */
	SHEET_ERROR,	/* text "#N/A", "#DIV/0!", ... */
};

struct sheet_cell {
	enum sheet_kind kind;
	int formula;	/* the cell held a formula; text is its cached value */
	char *text;	/* NULL only for SHEET_EMPTY */
	double number;	/* SHEET_NUMBER */
};

/* cells[i] is column i (A is 0); row is 1-based, as Excel shows it. */
struct sheet_row {
	unsigned row;
	size_t ncells;
	struct sheet_cell *cells;
};

/* A merged range, 1-based rows, 0-based columns, inclusive. */
struct sheet_merge {
	unsigned r1, r2;
	unsigned c1, c2;
};

struct sheet {
	char *name;		/* the worksheet's name */
	int date1904;		/* the workbook counts days from 1904 */
	int merges_known;	/* the format tells merged ranges (.xlsx) */
	struct sheet_row *rows;	/* ascending row */
	size_t nrows, rows_cap;
	struct sheet_merge *merges;
	size_t nmerges, merges_cap;
	char error[256];	/* after -1: why, for people */
};

enum sheet_format {
	SHEET_NOT_A_WORKBOOK,
	SHEET_XLSX,		/* a zip file */
	SHEET_OLE,		/* a compound file: .xls or encrypted .xlsx */
};

/* What the first bytes say. */
enum sheet_format sheet_sniff(const void *buf, size_t len);
/* An OLE file that holds an encrypted OOXML package (a password). */
int sheet_ole_encrypted(const void *buf, size_t len);

/*
 * Read worksheet want (NULL: the first) of the .xlsx in buf[0..len).
 * 0, or -1 with sh->error set. sheet_free either way.
 */
int sheet_read_xlsx(struct sheet *, const void *buf, size_t len,
    const char *want);
/* The same for the .xls at path. */
int sheet_read_xls(struct sheet *, const char *path, const char *want);
void sheet_free(struct sheet *);

/*
 * An Excel serial day number as a date: the 1900 system counts 1 as
 * 1900-01-01 and has Lotus's 1900-02-29 (serial 60), the 1904 system
 * counts 0 as 1904-01-01. A fraction (the time of day) is dropped.
 * 0, or -1 for serial 60 of 1900, a negative day or a year past 9999.
 */
int sheet_serial_date(double serial, int date1904, int *y, int *m, int *d);
/* "A", "Z", "AA", ... for column col (A is 0); out holds 8 bytes. */
void sheet_column_name(unsigned col, char out[8]);

#endif
