/*
 * The documents as self-contained, print-ready HTML (see docs.h): A4,
 * the header row repeated on every printed page, page numbers from CSS
 * counters in the page margin, a title with township, village and date,
 * and a stamp and signature block. A list prints landscape; the
 * verification tables print portrait, one household per page.
 */
#include <stdio.h>
#include <string.h>

#include "docs.h"

static void
esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void
head(FILE *f, const struct doc *d, int landscape)
{
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>",
	    f);
	esc(f, doc_scope(d));
	esc(f, d->title);
	fputs("</title>\n<style>\n", f);
	fprintf(f, "@page{size:A4 %s;margin:14mm 12mm 16mm 12mm;"
		   "@bottom-center{content:\"第 \" counter(page) \" 页 / 共 \" "
		   "counter(pages) \" 页\";font-size:9pt;color:#444}}\n",
	    landscape ? "landscape" : "portrait");
	fputs("body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Zen Hei\","
	      "\"Microsoft YaHei\",\"SimSun\",sans-serif;font-size:10pt;"
	      "color:#000;margin:0}\n"
	      "h1{font-size:16pt;text-align:center;margin:0 0 4mm}\n"
	      "h2{font-size:11pt;margin:4mm 0 1mm}\n"
	      ".meta{display:flex;justify-content:space-between;"
	      "margin:0 0 2mm;font-size:10pt}\n"
	      "table{border-collapse:collapse;width:100%}\n"
	      "th,td{border:1px solid #000;padding:1mm 1.2mm;"
	      "vertical-align:top}\n"
	      "th{background:#eee;font-weight:600}\n"
	      "thead{display:table-header-group}\n"
	      "tr{page-break-inside:avoid}\n"
	      "td.n{text-align:right;white-space:nowrap}\n"
	      "td.c{text-align:center;white-space:nowrap}\n"
	      "tr.sub td{font-weight:600;background:#f6f6f6}\n"
	      ".sign{display:flex;justify-content:space-between;margin-top:8mm;"
	      "gap:10mm}\n"
	      ".sign div{flex:1;line-height:2.2}\n"
	      ".blank{display:inline-block;min-width:38mm;"
	      "border-bottom:1px solid #000}\n"
	      ".stamp{display:inline-block;width:34mm;height:34mm;"
	      "border:1px dashed #999;border-radius:50%;text-align:center;"
	      "line-height:34mm;color:#999;font-size:9pt}\n"
	      ".note{font-size:9pt;margin-top:3mm}\n"
	      "section.hh{page-break-after:always;break-after:page}\n"
	      "section.hh:last-of-type{page-break-after:auto;break-after:auto}\n"
	      "td.k{background:#f3f3f3;white-space:nowrap;width:22mm}\n"
	      "td.fill{height:12mm}\n"
	      "</style></head><body>\n",
	    f);
}

static void
cell(FILE *f, json_t *v, const char *type)
{
	char buf[4096];

	doc_cell_text(v, type, buf, sizeof(buf));
	fprintf(f, "<td%s>", strcmp(type, "int") == 0 ||
		    strcmp(type, "money") == 0 ? " class=\"n\"" :
		strcmp(type, "yesno") == 0 || strcmp(type, "date") == 0 ?
					      " class=\"c\"" : "");
	esc(f, buf);
	fputs("</td>", f);
}

static void
subtotal_row(FILE *f, const struct doc *d, json_t *s, const char *label)
{
	size_t n = json_array_size(d->columns), i;
	json_t *col;

	fputs("<tr class=\"sub\"><td></td>", f);
	json_array_foreach(d->columns, i, col) {
		const char *key = str(col, "key");

		if (i == 0) {
			fputs("<td>", f);
			esc(f, label);
			fputs("</td>", f);
		} else if (i == 1)
			fprintf(f, "<td class=\"n\">%lld户%s</td>",
			    (long long)json_integer_value(json_object_get(s,
				"households")),
			    "");
		else if (strcmp(key, "size") == 0)
			fprintf(f, "<td class=\"n\">%lld人</td>",
			    (long long)json_integer_value(json_object_get(s,
				"persons")));
		else if (d->kind && strcmp(d->kind, "problems") == 0 &&
		    strcmp(key, "rule") == 0)
			fprintf(f, "<td>%lld条</td>",
			    (long long)json_integer_value(json_object_get(s,
				"rows")));
		else
			fputs("<td></td>", f);
	}
	(void)n;
	fputs("</tr>\n", f);
}

static void
signatures(FILE *f, const struct doc *d)
{
	int notice = d->kind && strstr(d->kind, "notice") != NULL;

	if (notice)
		fputs("<p class=\"note\">公示期间，如对上述名单有异议，请以书面或口头"
		      "形式向村（居）委会或镇扶贫办反映。</p>\n",
		    f);
	fputs("<div class=\"sign\"><div>填表人：<span class=\"blank\"></span><br>"
	      "审核人：<span class=\"blank\"></span><br>负责人（签字）："
	      "<span class=\"blank\"></span></div>\n<div>",
	    f);
	esc(f, d->village_name ? "村委会（盖章）" : "镇人民政府（盖章）");
	fputs("<br><span class=\"stamp\">盖章处</span><br>"
	      "日期：&emsp;&emsp;年&emsp;&emsp;月&emsp;&emsp;日</div></div>\n",
	    f);
}

static void
write_list(FILE *f, const struct doc *d)
{
	size_t i, k = 0, nsub = json_array_size(d->subtotals);
	json_t *col, *row;
	const char *prev = NULL;
	char label[256];

	head(f, d, 1);
	fputs("<h1>", f);
	esc(f, doc_scope(d));
	esc(f, d->title);
	fputs("</h1>\n<div class=\"meta\"><span>乡镇：", f);
	esc(f, d->township);
	fputs("</span><span>行政村：", f);
	esc(f, d->village_name ? d->village_name : "全镇");
	fputs("</span><span>制表日期：", f);
	esc(f, d->generated);
	fprintf(f, "</span><span>共 %lld 户 %lld 人</span></div>\n",
	    (long long)json_integer_value(json_object_get(d->total,
		"households")),
	    (long long)json_integer_value(json_object_get(d->total,
		"persons")));
	fputs("<table>\n<thead><tr><th>序号</th>", f);
	json_array_foreach(d->columns, i, col) {
		fputs("<th>", f);
		esc(f, str(col, "title"));
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	json_array_foreach(d->rows, i, row) {
		const char *v = json_string_value(json_array_get(row, 0));
		size_t j;
		json_t *c;

		if (d->village_name == NULL && prev && v &&
		    strcmp(prev, v) != 0 && k < nsub) {
			snprintf(label, sizeof(label), "%s 小计", prev);
			subtotal_row(f, d, json_array_get(d->subtotals, k++),
			    label);
		}
		prev = v;
		fprintf(f, "<tr><td class=\"n\">%zu</td>", i + 1);
		json_array_foreach(row, j, c)
			cell(f, c, str(json_array_get(d->columns, j), "type"));
		fputs("</tr>\n", f);
	}
	if (d->village_name == NULL && prev && k < nsub) {
		snprintf(label, sizeof(label), "%s 小计", prev);
		subtotal_row(f, d, json_array_get(d->subtotals, k), label);
	}
	if (json_array_size(d->rows) == 0)
		fprintf(f, "<tr><td colspan=\"%zu\">（无）</td></tr>\n",
		    json_array_size(d->columns) + 1);
	subtotal_row(f, d, d->total, "合计");
	fputs("</tbody></table>\n", f);
	signatures(f, d);
	fputs("</body></html>\n", f);
}

static void
kv(FILE *f, const char *k, json_t *v)
{
	char buf[1024];

	doc_cell_text(v, "", buf, sizeof(buf));
	fputs("<td class=\"k\">", f);
	esc(f, k);
	fputs("</td><td>", f);
	esc(f, buf);
	fputs("</td>", f);
}

static void
household_table(FILE *f, const struct doc *d, json_t *t, int n)
{
	static const char *const guar[][2] = { { "food", "不愁吃" },
		{ "clothing", "不愁穿" }, { "education", "义务教育有保障" },
		{ "medical", "基本医疗有保障" }, { "housing", "住房安全有保障" } };
	json_t *members = json_object_get(t, "members");
	json_t *procs = json_object_get(t, "procedures");
	json_t *findings = json_object_get(t, "findings");
	size_t i;
	json_t *m;

	fputs("<section class=\"hh\">\n<h1>", f);
	esc(f, d->township);
	esc(f, str(t, "village"));
	esc(f, d->title);
	fputs("</h1>\n<div class=\"meta\"><span>户编号：", f);
	esc(f, str(t, "household_id"));
	fputs("</span><span>村民小组：", f);
	esc(f, str(t, "group"));
	fputs("</span><span>制表日期：", f);
	esc(f, d->generated);
	fprintf(f, "</span><span>第 %d 户</span></div>\n", n);

	fputs("<h2>一、系统登记信息（现场核对，有误的在“现场核实”栏填写）</h2>\n"
	      "<table><tr>", f);
	kv(f, "户主姓名", json_object_get(t, "head"));
	kv(f, "家庭人口", json_object_get(t, "size"));
	kv(f, "户类别", json_object_get(t, "category"));
	fputs("</tr><tr>", f);
	kv(f, "识别年度", json_object_get(t, "identified_year"));
	kv(f, "脱贫年度", json_object_get(t, "lifted_year"));
	kv(f, "人均纯收入（元）", json_object_get(t, "income"));
	fputs("</tr><tr>", f);
	kv(f, "致贫/返贫风险", json_object_get(t, "risk"));
	kv(f, "返贫原因", json_object_get(t, "relapse_reason"));
	fputs("<td class=\"k\">现场核实</td><td></td></tr></table>\n", f);

	fputs("<h2>二、家庭成员</h2>\n<table><thead><tr><th>姓名</th><th>身份证号"
	      "</th><th>与户主关系</th><th>出生日期</th><th>变动</th>"
	      "<th>现场核实</th></tr></thead>\n",
	    f);
	json_array_foreach(members, i, m) {
		fputs("<tr>", f);
		for (size_t k = 0; k < 5; k++)
			cell(f, json_array_get(m, k), k == 3 ? "date" : "text");
		fputs("<td></td></tr>\n", f);
	}
	if (json_array_size(members) == 0)
		fputs("<tr><td colspan=\"6\">（系统中无成员信息）</td></tr>\n", f);
	fputs("</table>\n", f);

	fputs("<h2>三、收入与“两不愁三保障”</h2>\n<table><thead><tr><th>项目</th>"
	      "<th>系统记录</th><th>现场核实</th></tr></thead>\n<tr><td>"
	      "人均纯收入（元）</td>",
	    f);
	cell(f, json_object_get(t, "income"), "money");
	fputs("<td></td></tr>\n", f);
	for (size_t k = 0; k < 5; k++) {
		fputs("<tr><td>", f);
		esc(f, guar[k][1]);
		fputs("</td>", f);
		cell(f, json_object_get(t, guar[k][0]), "yesno");
		fputs("<td></td></tr>\n", f);
	}
	fputs("</table>\n", f);

	fputs("<h2>四、帮扶措施</h2>\n<table><tr><td class=\"fill\">"
	      "（系统中尚无帮扶措施记录，请入户核实后填写）</td></tr>"
	      "<tr><td class=\"fill\"></td></tr></table>\n",
	    f);

	fputs("<h2>五、本年度程序</h2>\n<table><thead><tr><th>程序</th><th>"
	      "当前环节</th><th>进入日期</th></tr></thead>\n",
	    f);
	json_array_foreach(procs, i, m) {
		fputs("<tr>", f);
		for (size_t k = 0; k < 3; k++)
			cell(f, json_array_get(m, k), "text");
		fputs("</tr>\n", f);
	}
	if (json_array_size(procs) == 0)
		fputs("<tr><td colspan=\"3\">（无）</td></tr>\n", f);
	fputs("</table>\n", f);

	fputs("<h2>六、待核实问题</h2>\n<table><thead><tr><th>问题类型</th><th>"
	      "问题情况</th><th>涉及成员</th><th>整改环节</th><th>现场核实情况"
	      "</th></tr></thead>\n",
	    f);
	json_array_foreach(findings, i, m) {
		fputs("<tr>", f);
		for (size_t k = 0; k < 4; k++)
			cell(f, json_array_get(m, k), "text");
		fputs("<td class=\"fill\" style=\"width:45mm\"></td></tr>\n", f);
	}
	if (json_array_size(findings) == 0)
		fputs("<tr><td colspan=\"5\">（无）</td></tr>\n", f);
	fputs("</table>\n", f);

	fputs("<div class=\"sign\"><div>核对人（工作队员）签字："
	      "<span class=\"blank\"></span><br>日期：&emsp;&emsp;年&emsp;&emsp;"
	      "月&emsp;&emsp;日</div><div>户主签字（按手印）："
	      "<span class=\"blank\"></span><br>日期：&emsp;&emsp;年&emsp;&emsp;"
	      "月&emsp;&emsp;日</div></div>\n</section>\n",
	    f);
}

int
doc_write_html(FILE *f, const struct doc *d, int from, int to)
{
	if (!d->tables) {
		write_list(f, d);
		return 0;
	}
	head(f, d, 0);
	for (int r = from; r < to; r++)
		household_table(f, d, json_array_get(json_array_get(d->rows,
		    (size_t)r), 0), r - from + 1);
	if (from >= to) {
		fputs("<h1>", f);
		esc(f, doc_scope(d));
		esc(f, d->title);
		fputs("</h1><p>（无）</p>\n", f);
	}
	fputs("</body></html>\n", f);
	return 0;
}
