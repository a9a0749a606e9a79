/*
 * The documents as .xlsx workbooks through libxlsxwriter (see docs.h).
 * A list is one sheet: title, a line of who and when, the header row
 * (frozen, repeated on each printed page), rows, subtotals per village.
 * The verification tables are one sheet per village, one household per
 * printed page. Numbers are stored as numbers; every text cell is written
 * as a string, so a cell that starts with "=" is never a formula. Column
 * widths follow the display width of their text (a CJK character counts 2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "docs.h"
#include "fupinctl.h"
#include "util.h"

#define MAX_COLS 32
#define MAX_WIDTH 48

struct sheet {
	lxw_worksheet *ws;
	lxw_format *head, *cell, *num, *money, *title, *bold, *sub;
	double width[MAX_COLS];
};

static void
fit(struct sheet *s, int col, const char *text)
{
	double w = output_width(text) + 2;

	if (col < MAX_COLS && w > s->width[col])
		s->width[col] = w > MAX_WIDTH ? MAX_WIDTH : w;
}

static void
put_text(struct sheet *s, int row, int col, const char *text, lxw_format *f)
{
	worksheet_write_string(s->ws, (lxw_row_t)row, (lxw_col_t)col, text, f);
	fit(s, col, text);
}

/* A cell: numbers as numbers, the rest as strings. */
static void
put(struct sheet *s, int row, int col, json_t *v, const char *type)
{
	char buf[4096];

	doc_cell_text(v, type, buf, sizeof(buf));
	if (json_is_number(v)) {
		worksheet_write_number(s->ws, (lxw_row_t)row, (lxw_col_t)col,
		    json_number_value(v), strcmp(type, "money") == 0 ?
			s->money : s->num);
		fit(s, col, buf);
	} else
		put_text(s, row, col, buf, s->cell);
}

static void
formats(lxw_workbook *wb, struct sheet *s)
{
	s->head = workbook_add_format(wb);
	format_set_bold(s->head);
	format_set_border(s->head, LXW_BORDER_THIN);
	format_set_bg_color(s->head, 0xEEEEEE);
	format_set_text_wrap(s->head);
	format_set_align(s->head, LXW_ALIGN_CENTER);
	format_set_align(s->head, LXW_ALIGN_VERTICAL_CENTER);
	s->cell = workbook_add_format(wb);
	format_set_border(s->cell, LXW_BORDER_THIN);
	s->num = workbook_add_format(wb);
	format_set_border(s->num, LXW_BORDER_THIN);
	format_set_num_format(s->num, "0");
	s->money = workbook_add_format(wb);
	format_set_border(s->money, LXW_BORDER_THIN);
	format_set_num_format(s->money, "0.00");
	s->title = workbook_add_format(wb);
	format_set_bold(s->title);
	format_set_font_size(s->title, 16);
	format_set_align(s->title, LXW_ALIGN_CENTER);
	s->bold = workbook_add_format(wb);
	format_set_bold(s->bold);
	s->sub = workbook_add_format(wb);
	format_set_bold(s->sub);
	format_set_border(s->sub, LXW_BORDER_THIN);
	format_set_bg_color(s->sub, 0xF6F6F6);
}

static void
print_setup(lxw_worksheet *ws, int landscape)
{
	worksheet_set_paper(ws, 9); /* A4 */
	if (landscape)
		worksheet_set_landscape(ws);
	else
		worksheet_set_portrait(ws);
	worksheet_set_footer(ws, "&C第 &P 页 / 共 &N 页");
	worksheet_fit_to_pages(ws, 1, 0);
}

static void
widths(struct sheet *s, int ncols)
{
	for (int i = 0; i < ncols && i < MAX_COLS; i++)
		worksheet_set_column(s->ws, (lxw_col_t)i, (lxw_col_t)i,
		    s->width[i] < 6 ? 6 : s->width[i], NULL);
}

static void
subtotal(struct sheet *s, const struct doc *d, int row, json_t *t,
    const char *label)
{
	size_t i;
	json_t *col;
	char buf[128];

	json_array_foreach(d->columns, i, col) {
		const char *key = json_string_value(json_object_get(col, "key"));

		if (i == 0)
			put_text(s, row, 0, label, s->sub);
		else if (i == 1) {
			snprintf(buf, sizeof(buf), "%lld户",
			    (long long)json_integer_value(json_object_get(t,
				"households")));
			put_text(s, row, 1, buf, s->sub);
		} else if (key && strcmp(key, "size") == 0)
			worksheet_write_number(s->ws, (lxw_row_t)row,
			    (lxw_col_t)i, (double)json_integer_value(
				json_object_get(t, "persons")), s->sub);
		else if (key && strcmp(key, "rule") == 0) {
			snprintf(buf, sizeof(buf), "%lld条",
			    (long long)json_integer_value(json_object_get(t,
				"rows")));
			put_text(s, row, (int)i, buf, s->sub);
		} else
			worksheet_write_blank(s->ws, (lxw_row_t)row,
			    (lxw_col_t)i, s->sub);
	}
}

static void
write_list(lxw_workbook *wb, const struct doc *d)
{
	struct sheet s = { 0 };
	size_t ncols = json_array_size(d->columns), i, k = 0,
	       nsub = json_array_size(d->subtotals);
	json_t *col, *row;
	char buf[1024], label[256];
	const char *prev = NULL;
	int r = 3;

	s.ws = workbook_add_worksheet(wb, d->village_name ? NULL : "全镇");
	formats(wb, &s);
	print_setup(s.ws, 1);
	snprintf(buf, sizeof(buf), "%s%s", doc_scope(d), d->title);
	worksheet_merge_range(s.ws, 0, 0, 0, (lxw_col_t)(ncols - 1), buf,
	    s.title);
	snprintf(buf, sizeof(buf), "乡镇：%s　行政村：%s　制表日期：%s",
	    d->township ? d->township : "",
	    d->village_name ? d->village_name : "全镇", d->generated);
	worksheet_write_string(s.ws, 1, 0, buf, s.bold);
	json_array_foreach(d->columns, i, col) {
		const char *t = json_string_value(json_object_get(col, "title"));

		put_text(&s, 2, (int)i, t ? t : "", s.head);
	}
	worksheet_freeze_panes(s.ws, 3, 0);
	worksheet_repeat_rows(s.ws, 2, 2);
	json_array_foreach(d->rows, i, row) {
		const char *v = json_string_value(json_array_get(row, 0));
		size_t j;
		json_t *c;

		if (d->village_name == NULL && prev && v &&
		    strcmp(prev, v) != 0 && k < nsub) {
			snprintf(label, sizeof(label), "%s 小计", prev);
			subtotal(&s, d, r++, json_array_get(d->subtotals, k++),
			    label);
		}
		prev = v;
		json_array_foreach(row, j, c)
			put(&s, r, (int)j, c, json_string_value(json_object_get(
			    json_array_get(d->columns, j), "type")));
		r++;
	}
	if (d->village_name == NULL && prev && k < nsub) {
		snprintf(label, sizeof(label), "%s 小计", prev);
		subtotal(&s, d, r++, json_array_get(d->subtotals, k), label);
	}
	subtotal(&s, d, r++, d->total, "合计");
	r++;
	worksheet_write_string(s.ws, (lxw_row_t)r++, 0,
	    "填表人：　　　　　审核人：　　　　　负责人（签字）：", NULL);
	worksheet_write_string(s.ws, (lxw_row_t)r, 0, d->village_name ?
	    "村委会（盖章）　　　　年　　月　　日" :
	    "镇人民政府（盖章）　　　　年　　月　　日", NULL);
	widths(&s, (int)ncols);
}

/* A sheet name: the village's name without what Excel refuses, else its
 * id. */
static void
sheet_name(char *buf, size_t size, json_t *t, lxw_workbook *wb)
{
	const char *name = json_string_value(json_object_get(t, "village"));
	const char *id = json_string_value(json_object_get(t, "village_id"));
	size_t chars = 0, i = 0;

	for (const char *p = name ? name : ""; *p && i + 4 < size; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80 && ++chars > 31)
			break;
		buf[i++] = strchr("[]:*?/\\'", *p) ? '_' : *p;
	}
	buf[i] = '\0';
	if (buf[0] == '\0' || workbook_get_worksheet_by_name(wb, buf) != NULL)
		snprintf(buf, size, "%.31s", id ? id : "?");
}

static int
pair(struct sheet *s, int r, const char *k, json_t *v, int col)
{
	put_text(s, r, col, k, s->head);
	put(s, r, col + 1, v, json_is_real(v) ? "money" : "");
	return r;
}

static int
household(struct sheet *s, const struct doc *d, json_t *t, int r)
{
	static const char *const guar[][2] = { { "food", "不愁吃" },
		{ "clothing", "不愁穿" }, { "education", "义务教育有保障" },
		{ "medical", "基本医疗有保障" }, { "housing", "住房安全有保障" } };
	static const char *const mh[] = { "姓名", "身份证号", "与户主关系",
		"出生日期", "变动", "现场核实" };
	static const char *const fh[] = { "问题类型", "问题情况", "涉及成员",
		"整改环节", "现场核实情况" };
	char buf[1024];
	size_t i;
	json_t *m;

	snprintf(buf, sizeof(buf), "%s%s%s　户编号：%s　制表日期：%s",
	    d->township ? d->township : "",
	    json_string_value(json_object_get(t, "village")), d->title,
	    json_string_value(json_object_get(t, "household_id")),
	    d->generated);
	put_text(s, r++, 0, buf, s->bold);
	pair(s, r, "户主姓名", json_object_get(t, "head"), 0);
	pair(s, r, "村民小组", json_object_get(t, "group"), 2);
	pair(s, r++, "家庭人口", json_object_get(t, "size"), 4);
	pair(s, r, "户类别", json_object_get(t, "category"), 0);
	pair(s, r, "识别年度", json_object_get(t, "identified_year"), 2);
	pair(s, r++, "脱贫年度", json_object_get(t, "lifted_year"), 4);
	pair(s, r, "人均纯收入（元）", json_object_get(t, "income"), 0);
	pair(s, r, "致贫/返贫风险", json_object_get(t, "risk"), 2);
	pair(s, r++, "返贫原因", json_object_get(t, "relapse_reason"), 4);
	for (size_t k = 0; k < 5; k++)
		pair(s, r + (int)(k / 3), guar[k][1],
		    json_object_get(t, guar[k][0]), (int)(k % 3) * 2);
	r += 2;
	put_text(s, r++, 0, "家庭成员", s->bold);
	for (size_t k = 0; k < 6; k++)
		put_text(s, r, (int)k, mh[k], s->head);
	r++;
	json_array_foreach(json_object_get(t, "members"), i, m) {
		for (size_t k = 0; k < 5; k++)
			put(s, r, (int)k, json_array_get(m, k), "");
		worksheet_write_blank(s->ws, (lxw_row_t)r, 5, s->cell);
		r++;
	}
	put_text(s, r++, 0, "帮扶措施（系统中尚无帮扶措施记录，请入户核实后填写）",
	    s->bold);
	for (size_t k = 0; k < 6; k++)
		worksheet_write_blank(s->ws, (lxw_row_t)r, (lxw_col_t)k,
		    s->cell);
	r++;
	put_text(s, r++, 0, "待核实问题", s->bold);
	for (size_t k = 0; k < 5; k++)
		put_text(s, r, (int)k, fh[k], s->head);
	r++;
	json_array_foreach(json_object_get(t, "findings"), i, m) {
		for (size_t k = 0; k < 4; k++)
			put(s, r, (int)k, json_array_get(m, k), "");
		worksheet_write_blank(s->ws, (lxw_row_t)r, 4, s->cell);
		r++;
	}
	if (json_array_size(json_object_get(t, "findings")) == 0)
		put_text(s, r++, 0, "（无）", s->cell);
	r++;
	worksheet_write_string(s->ws, (lxw_row_t)r++, 0,
	    "核对人（工作队员）签字：　　　　　　户主签字（按手印）：　　　　　　"
	    "日期：　　年　　月　　日", NULL);
	return r + 1;
}

static int
write_tables(lxw_workbook *wb, const struct doc *d)
{
	size_t n = json_array_size(d->rows), start = 0;

	while (start < n) {
		json_t *t0 = json_array_get(json_array_get(d->rows, start), 0);
		const char *v = json_string_value(json_object_get(t0,
		    "village_id"));
		struct sheet s = { 0 };
		lxw_row_t *breaks;
		size_t end = start, nb = 0;
		char name[128];
		int r = 0;

		while (end < n && strcmp(json_string_value(json_object_get(
		    json_array_get(json_array_get(d->rows, end), 0),
		    "village_id")), v) == 0)
			end++;
		sheet_name(name, sizeof(name), t0, wb);
		s.ws = workbook_add_worksheet(wb, name);
		if (s.ws == NULL)
			return -1;
		formats(wb, &s);
		print_setup(s.ws, 0);
		breaks = xcalloc(end - start + 1, sizeof(*breaks));
		for (size_t i = start; i < end; i++) {
			if (i > start && nb < 1023)
				breaks[nb++] = (lxw_row_t)r;
			r = household(&s, d, json_array_get(json_array_get(
			    d->rows, i), 0), r);
		}
		breaks[nb] = 0;
		if (nb > 0)
			worksheet_set_h_pagebreaks(s.ws, breaks);
		free(breaks);
		widths(&s, 6);
		start = end;
	}
	if (n == 0) {
		lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);

		worksheet_write_string(ws, 0, 0, "（无）", NULL);
	}
	return 0;
}

int
doc_write_xlsx(const char *path, const struct doc *d)
{
	lxw_workbook *wb = workbook_new(path);
	lxw_error err;

	if (wb == NULL) {
		fprintf(stderr, "fupinctl: cannot create %s\n", path);
		return -1;
	}
	if (d->tables) {
		if (write_tables(wb, d) < 0) {
			fprintf(stderr, "fupinctl: %s: cannot add a sheet\n",
			    path);
			workbook_close(wb);
			return -1;
		}
	} else
		write_list(wb, d);
	if ((err = workbook_close(wb)) != LXW_NO_ERROR) {
		fprintf(stderr, "fupinctl: %s: %s\n", path,
		    lxw_strerror(err));
		return -1;
	}
	return 0;
}
