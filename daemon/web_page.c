/*
 * The pages' HTML (see web_page.h). Chinese first, the campaign files'
 * English titles beside it. Only html_printf writes values: the format
 * strings below are the only markup.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "calendar.h"
#include "campaign.h"
#include "fupind.h"
#include "html.h"
#include "isotime.h"
#include "web_page.h"
#include "workflow.h"

static const char style[] =
    "*{box-sizing:border-box}"
    "html{-webkit-text-size-adjust:100%}"
    "body{margin:0;font:15px/1.5 \"Noto Sans CJK SC\",\"WenQuanYi Zen Hei\","
    "\"Microsoft YaHei\",sans-serif;color:#222;background:#f4f5f7;"
    "overflow-wrap:anywhere;word-break:break-word}"
    "header{background:#8b1a1a;color:#fff;padding:6px 12px}"
    ".top{max-width:1100px;margin:0 auto;display:flex;flex-wrap:wrap;"
    "gap:4px 12px;align-items:center}"
    ".top form{margin:0 0 0 auto}"
    "main{max-width:1100px;margin:0 auto;padding:4px 10px 24px}"
    "h1{font-size:1.3em;margin:.4em 0 0}"
    "h2{font-size:1.08em;margin:.3em 0 .4em;padding-bottom:2px;"
    "border-bottom:2px solid #8b1a1a}"
    "h3{font-size:1em;margin:.8em 0 .2em}"
    ".en{color:#666;font-weight:normal;font-size:.85em}"
    ".now{color:#555;margin:0 0 .4em}"
    "section{background:#fff;border-radius:6px;padding:6px 10px 10px;"
    "margin:10px 0;box-shadow:0 1px 2px rgba(0,0,0,.1)}"
    "table{border-collapse:collapse;width:100%;font-size:.92em}"
    "th,td{text-align:left;padding:4px 5px;border-bottom:1px solid #e3e3e3;"
    "vertical-align:top}"
    "th{background:#f2f2f2;font-weight:600}"
    ".num{text-align:right;white-space:nowrap}.d{white-space:nowrap}"
    ".late{color:#b00020;font-weight:bold}"
    ".badge{display:inline-block;padding:0 6px;border-radius:9px;"
    "font-size:.82em;color:#fff;background:#777;white-space:nowrap}"
    ".red{background:#c62828}.amber{background:#d48300}"
    ".green{background:#2e7d32}.blue{background:#1565c0}"
    ".flash{background:#e8f5e9;border-left:4px solid #2e7d32;padding:8px}"
    ".refusal{background:#fdecea;border-left:4px solid #c62828;padding:8px}"
    "tr.today td{background:#fff3c4;font-weight:bold}"
    "tr.current td{background:#fffbe6}"
    ".vgrid{display:flex;flex-wrap:wrap;gap:6px 16px;margin:4px 0 10px}"
    ".dl{flex:1 1 150px;min-width:0;font-size:.88em}"
    ".track{background:#e6e6e6;height:9px;border-radius:5px;overflow:hidden;"
    "display:flex}"
    ".fill{background:#2e7d32;height:9px}.fill.l{background:#d48300}"
    ".fill.o{background:#c62828}"
    "ul.hh{list-style:none;padding:0;margin:4px 0;display:flex;"
    "flex-wrap:wrap;gap:4px}"
    "ul.hh li{background:#f0f0f0;border-radius:4px;padding:0 6px;"
    "font-size:.9em}"
    "ul.plain{padding-left:1.2em;margin:.3em 0}"
    "details{margin:4px 0}summary{cursor:pointer}"
    "label{display:block;margin:6px 0 2px}"
    "input,select,textarea,button{font:inherit;max-width:100%}"
    "input[type=text],input[type=password],select,textarea{width:100%;"
    "padding:6px;border:1px solid #bbb;border-radius:4px;background:#fff}"
    "button{margin-top:8px;padding:6px 16px;border:0;border-radius:4px;"
    "background:#8b1a1a;color:#fff}"
    "header button{margin:0;background:#fff;color:#8b1a1a;padding:2px 10px}"
    ".login{max-width:420px;margin:40px auto}"
    "@media print{header form,.step{display:none}body{background:#fff}"
    "section{box-shadow:none;border:1px solid #ccc;break-inside:avoid}}";

/* ---- reading the answer ---- */

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
num(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	if (json_is_string(v))
		return atoll(json_string_value(v));
	return 0;
}

/* "10-21 00:00" in Shanghai time, or the text as it came. */
static const char *
moment(const char *iso, char *buf, size_t len)
{
	int64_t t;
	char full[ISO_BUFSIZE];

	if (iso == NULL)
		return "—";
	if (iso_parse(iso, ISO_SHANGHAI_OFFSET, &t) < 0)
		return iso;
	iso_format(t, ISO_SHANGHAI_OFFSET, full, sizeof(full));
	snprintf(buf, len, "%.5s %.5s", full + 5, full + 11);
	return buf;
}

/* A title up to its first full-width colon: "第二阶段". */
static const char *
short_title(const char *title, char *buf, size_t len)
{
	const char *colon;

	if (title == NULL)
		return "";
	colon = strstr(title, "\xef\xbc\x9a");
	if (colon == NULL || (size_t)(colon - title) >= len)
		return title;
	memcpy(buf, title, (size_t)(colon - title));
	buf[colon - title] = '\0';
	return buf;
}

static const char *
workflow_title(const char *name)
{
	const struct wf *w = name ? wf_find(fupind->campaign->wf, name) : NULL;

	return w ? w->title : name;
}

static const char *
deadline_title(const char *id, char *buf, size_t len)
{
	const struct cal_item *it = id ? cal_find(fupind->campaign->cal, id) :
	    NULL;

	return it ? short_title(it->title_zh, buf, len) : id;
}

static const char *
status_word(const char *status)
{
	static const struct {
		const char *status, *word;
	} words[] = {
		{ "upcoming", "未开始" }, { "open", "进行中" },
		{ "due_soon", "即将截止" }, { "overdue", "逾期" },
		{ "closed", "已结束" },
	};

	for (size_t i = 0; status && i < sizeof(words) / sizeof(*words); i++)
		if (strcmp(words[i].status, status) == 0)
			return words[i].word;
	return status;
}

static const char *
status_class(const char *status)
{
	if (status == NULL)
		return "";
	if (strcmp(status, "overdue") == 0)
		return "red";
	if (strcmp(status, "due_soon") == 0)
		return "amber";
	if (strcmp(status, "open") == 0)
		return "blue";
	return "";
}

static const char *
kind_word(const char *kind)
{
	if (kind == NULL)
		return "";
	if (strcmp(kind, "reminder") == 0)
		return "提醒";
	if (strcmp(kind, "overdue") == 0)
		return "逾期通知";
	if (strcmp(kind, "escalation") == 0)
		return "督办";
	if (strcmp(kind, "digest") == 0)
		return "日报";
	return kind;
}

/* ---- the frame ---- */

static void
page_begin(struct evbuffer *b, const char *title, const struct page_who *who)
{
	html_printf(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"
	    "<title>%s</title><style>", title);
	evbuffer_add(b, style, sizeof(style) - 1);
	html_printf(b, "</style></head><body><header><div class=\"top\">"
	    "<strong>扶贫动态管理</strong>");
	if (who != NULL) {
		html_printf(b, "<span>%s · %s%s%s</span>", who->principal,
		    role_name(who->role), who->village ? " " : "",
		    who->village ? who->village : "");
		if (who->role != ROLE_VILLAGE)
			html_printf(b, "<a href=\"/township\" style=\"color:#fff\">"
			    "镇级看板</a>");
		else
			html_printf(b, "<a href=\"/village/%s\" "
			    "style=\"color:#fff\">本村</a>", who->village);
		html_printf(b, "<form method=\"post\" action=\"/logout\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		    "<button>退出登录</button></form>", who->csrf);
	}
	html_printf(b, "</div></header><main>");
}

static void
page_end(struct evbuffer *b)
{
	html_printf(b, "</main></body></html>\n");
}

void
page_login(struct evbuffer *b, const char *error)
{
	page_begin(b, "登录 / Log in", NULL);
	html_printf(b, "<section class=\"login\"><h1>登录 <span class=\"en\">"
	    "Log in</span></h1>");
	if (error != NULL)
		html_printf(b, "<p class=\"refusal\">%s</p>", error);
	html_printf(b, "<form method=\"post\" action=\"/login\">"
	    "<label for=\"token\">令牌 <span class=\"en\">token</span></label>"
	    "<input type=\"password\" id=\"token\" name=\"token\" "
	    "autocomplete=\"current-password\" required>"
	    "<button>登录 / Log in</button></form>"
	    "<p class=\"en\">村工作队、镇扶贫办使用管理员发放的令牌登录。"
	    "Village teams and the township office log in with the token "
	    "their administrator gave them.</p></section>");
	page_end(b);
}

void
page_message(struct evbuffer *b, const char *title, const char *text,
    const struct page_who *who)
{
	page_begin(b, title, who);
	html_printf(b, "<section><h1>%s</h1><p>%s</p><p><a href=\"/\">返回 / "
	    "back</a></p></section>", title, text);
	page_end(b);
}

/* ---- the village page ---- */

static void
village_refusal(struct evbuffer *b, const json_t *refusal)
{
	const char *key;
	json_t *v;

	html_printf(b, "<div class=\"refusal\"><strong>未记录 / Not recorded"
	    " (%s)</strong><br>%s", str(refusal, "error"),
	    str(refusal, "message"));
	/* The guard's figures: every other scalar of the answer (the
	 * workflow is in the form already). */
	html_printf(b, "<ul class=\"plain\">");
	json_object_foreach((json_t *)refusal, key, v) {
		char n[32];

		if (strcmp(key, "ok") == 0 || strcmp(key, "error") == 0 ||
		    strcmp(key, "message") == 0 || strcmp(key, "workflow") == 0)
			continue;
		if (json_is_string(v))
			html_printf(b, "<li>%s: %s</li>", key,
			    json_string_value(v));
		else if (json_is_number(v)) {
			snprintf(n, sizeof(n), "%g", json_number_value(v));
			html_printf(b, "<li>%s: %s</li>", key, n);
		} else if (json_is_boolean(v))
			html_printf(b, "<li>%s: %s</li>", key,
			    json_is_true(v) ? "true" : "false");
	}
	html_printf(b, "</ul></div>");
}

static void
village_stage(struct evbuffer *b, const json_t *data)
{
	const json_t *status = json_object_get(data, "status");
	const json_t *next = json_object_get(status, "next_deadline");
	const json_t *alert = json_object_get(status, "next_alert");
	const json_t *it;
	size_t i;
	char m[32], t[256];
	int any = 0;

	html_printf(b, "<section><h2>当前阶段 <span class=\"en\">Current "
	    "stage and what is due next</span></h2><ul class=\"plain\">");
	json_array_foreach(json_object_get(data, "calendar"), i, it) {
		const char *st = str(it, "status");

		if (st == NULL || (strcmp(st, "open") != 0 &&
		    strcmp(st, "due_soon") != 0))
			continue;
		any = 1;
		html_printf(b, "<li><span class=\"badge %s\">%s</span> %s "
		    "<span class=\"en\">%s</span> — 截止 %s</li>",
		    status_class(st), status_word(st), str(it, "title"),
		    str(it, "title_en"), moment(str(it, "due"), m, sizeof(m)));
	}
	if (!any)
		html_printf(b, "<li>当前没有进行中的阶段 / no stage open now</li>");
	html_printf(b, "</ul>");
	if (json_is_object(next))
		html_printf(b, "<p><strong>下一期限 / Next deadline:</strong> %s，"
		    "%s 截止，尚有 %lld 户待完成 / households to move</p>",
		    deadline_title(str(next, "id"), t, sizeof(t)),
		    moment(str(next, "due"), m, sizeof(m)),
		    num(next, "households"));
	else
		html_printf(b, "<p>没有待完成的期限 / nothing due ahead</p>");
	if (json_is_object(alert)) {
		char m2[32];

		html_printf(b, "<p>下一次%s / next %s: %s（%s）</p>",
		    kind_word(str(alert, "kind")), str(alert, "kind"),
		    moment(str(alert, "at"), m2, sizeof(m2)),
		    deadline_title(str(alert, "deadline"), t, sizeof(t)));
	}
	json_array_foreach(json_object_get(status, "extensions"), i, it)
		html_printf(b, "<p>延期 / extension: %s 至 %s（%s）</p>",
		    deadline_title(str(it, "deadline"), t, sizeof(t)),
		    moment(str(it, "until"), m, sizeof(m)), str(it, "reason"));
	html_printf(b, "</section>");
}

static void
village_overdue(struct evbuffer *b, const json_t *data)
{
	const json_t *it;
	size_t i;
	long long n = num(data, "overdue_count");

	html_printf(b, "<section><h2>逾期 <span class=\"en\">Overdue</span> "
	    "<span class=\"badge %s\">%lld</span></h2>", n ? "red" : "green", n);
	if (n == 0) {
		html_printf(b, "<p>没有逾期 / nothing overdue</p></section>");
		return;
	}
	html_printf(b, "<table><tr><th>户 / household</th><th>程序 · 环节 / "
	    "step</th><th>期限 / deadline</th><th class=\"num\">逾期 / "
	    "late</th></tr>");
	json_array_foreach(json_object_get(data, "overdue"), i, it) {
		char m[32], t[256];

		html_printf(b, "<tr><td>%s %s</td><td>%s · %s</td><td>%s<br>%s"
		    "%s</td><td class=\"num late\">%lld 天</td></tr>",
		    str(it, "household"), str(it, "name"),
		    workflow_title(str(it, "workflow")), str(it, "state_title"),
		    short_title(str(it, "deadline_title"), t, sizeof(t)),
		    moment(str(it, "due"), m, sizeof(m)),
		    json_is_string(json_object_get(it, "extended_until")) ?
			"（已延期）" : "", num(it, "days"));
	}
	html_printf(b, "</table>");
	if ((size_t)n > json_array_size(json_object_get(data, "overdue")))
		html_printf(b, "<p>仅列出前 %u 条 / first %u shown</p>",
		    (unsigned)json_array_size(json_object_get(data, "overdue")),
		    (unsigned)json_array_size(json_object_get(data, "overdue")));
	html_printf(b, "</section>");
}

static void
village_steps(struct evbuffer *b, const json_t *data)
{
	const json_t *it, *h;
	const char *last = NULL;
	size_t i, k;

	html_printf(b, "<section><h2>各程序进度 <span class=\"en\">Households "
	    "in each procedure and step</span></h2>");
	if (json_array_size(json_object_get(data, "steps")) == 0)
		html_printf(b, "<p>尚无记录 / nothing recorded yet</p>");
	json_array_foreach(json_object_get(data, "steps"), i, it) {
		const char *wf = str(it, "workflow");
		long long n = num(it, "count");
		char m[32], t[256];

		if (last == NULL || strcmp(last, wf) != 0)
			html_printf(b, "<h3>%s</h3>", workflow_title(wf));
		last = wf;
		html_printf(b, "<details%s><summary>%s%s — <strong>%lld</strong>"
		    " 户", n <= 8 ? " open" : "", json_is_true(json_object_get(
		    it, "final")) ? "✓ " : "", str(it, "title"), n);
		if (str(it, "deadline") != NULL)
			html_printf(b, " · 须于 %s 前离开 / leave by %s",
			    moment(str(it, "due"), m, sizeof(m)),
			    deadline_title(str(it, "deadline"), t, sizeof(t)));
		html_printf(b, "</summary><ul class=\"hh\">");
		json_array_foreach(json_object_get(it, "households"), k, h)
			html_printf(b, "<li>%s %s%s%s</li>", str(h, "id"),
			    str(h, "name"), str(h, "subject") ? " / " : "",
			    str(h, "subject"));
		html_printf(b, "</ul></details>");
	}
	html_printf(b, "</section>");
}

static void
village_form(struct evbuffer *b, const json_t *data, const char *csrf,
    const struct page_form *form)
{
	const struct wf_set *set = fupind->campaign->wf;
	const char *village = str(json_object_get(data, "village"), "id");

	html_printf(b, "<section class=\"step\"><h2>记录一步 <span class=\"en\">"
	    "Record a step</span></h2><form method=\"post\" "
	    "action=\"/village/%s\"><input type=\"hidden\" name=\"csrf\" "
	    "value=\"%s\"><label for=\"household\">户编号 <span class=\"en\">"
	    "household</span></label><input type=\"text\" id=\"household\" "
	    "name=\"household\" required maxlength=\"64\" value=\"%s\">"
	    "<label for=\"workflow\">程序 <span class=\"en\">procedure</span>"
	    "</label><select id=\"workflow\" name=\"workflow\">", village, csrf,
	    form ? form->household : "");
	for (size_t i = 0; i < wf_count(set); i++) {
		const struct wf *w = wf_at(set, i);

		html_printf(b, "<option value=\"%s\"%s>%s</option>", w->name,
		    form && form->workflow && strcmp(form->workflow, w->name) ==
		    0 ? " selected" : "", w->title);
	}
	html_printf(b, "</select><label for=\"event\">事件 <span class=\"en\">"
	    "event (publish, object, submit…)</span></label><input "
	    "type=\"text\" id=\"event\" name=\"event\" required "
	    "maxlength=\"64\" value=\"%s\" list=\"events\"><datalist "
	    "id=\"events\">", form ? form->event : "");
	for (size_t i = 0; i < wf_count(set); i++) {
		const struct wf *w = wf_at(set, i);

		for (size_t k = 0; k < w->nevents; k++)
			html_printf(b, "<option value=\"%s\">%s · %s</option>",
			    w->events[k].name, w->name, w->events[k].title);
	}
	html_printf(b, "</datalist><label for=\"note\">说明 <span class=\"en\">"
	    "note (needed for object, reject, withdraw)</span></label>"
	    "<textarea id=\"note\" name=\"note\" rows=\"2\" maxlength=\"1000\">"
	    "%s</textarea><button>记录 / Record</button></form></section>",
	    form ? form->note : "");
}

static void
village_alerts(struct evbuffer *b, const json_t *data)
{
	const json_t *it;
	size_t i;

	html_printf(b, "<section><h2>收到的提醒 <span class=\"en\">Alerts "
	    "received</span></h2>");
	if (json_array_size(json_object_get(data, "alerts")) == 0)
		html_printf(b, "<p>没有 / none</p>");
	else
		html_printf(b, "<table><tr><th>时间 / at</th><th>内容 / text"
		    "</th></tr>");
	json_array_foreach(json_object_get(data, "alerts"), i, it) {
		char m[32];
		const char *kind = str(it, "kind");

		html_printf(b, "<tr><td class=\"d\">%s<br><span class=\"badge %s\">%s"
		    "</span></td><td>%s</td></tr>",
		    moment(str(it, "fire_at"), m, sizeof(m)),
		    kind && strcmp(kind, "escalation") == 0 ? "red" :
		    kind && strcmp(kind, "overdue") == 0 ? "amber" : "blue",
		    kind_word(kind), str(it, "text"));
	}
	if (json_array_size(json_object_get(data, "alerts")) > 0)
		html_printf(b, "</table>");
	html_printf(b, "</section>");
}

static void
village_problems(struct evbuffer *b, const json_t *data)
{
	const json_t *pr = json_object_get(data, "problems"), *it;
	size_t i, open = 0;

	json_array_foreach(json_object_get(pr, "items"), i, it)
		if (!json_is_true(json_object_get(it, "cleared")))
			open++;
	html_printf(b, "<section><h2>问题清单 <span class=\"en\">Open "
	    "problems</span> <span class=\"badge %s\">%u</span></h2>",
	    open ? "amber" : "green", (unsigned)open);
	if (open == 0) {
		html_printf(b, "<p>没有未解决的问题 / no open problem (%lld found "
		    "in all)</p></section>", num(pr, "count"));
		return;
	}
	html_printf(b, "<table><tr><th>户 / household</th><th>问题 / problem"
	    "</th><th>整改 / rectify</th></tr>");
	json_array_foreach(json_object_get(pr, "items"), i, it) {
		if (json_is_true(json_object_get(it, "cleared")))
			continue;
		html_printf(b, "<tr><td>%s%s%s</td><td>%s<br><span class=\"en\">"
		    "%s</span></td><td>%s</td></tr>", str(it, "household"),
		    str(it, "person") ? " / " : "", str(it, "person"),
		    str(it, "title"), str(it, "detail"),
		    str(it, "rectify") ? str(it, "rectify") : "—");
	}
	html_printf(b, "</table></section>");
}

void
page_village(struct evbuffer *b, const json_t *data,
    const struct page_who *who, const char *flash, const json_t *refusal,
    const struct page_form *form)
{
	const json_t *v = json_object_get(data, "village");
	char title[256], m[32];

	snprintf(title, sizeof(title), "%s — 动态管理", str(v, "name"));
	page_begin(b, title, who);
	html_printf(b, "<h1>%s <span class=\"en\">%s · %s</span></h1>"
	    "<p class=\"now\">截至 / as of %s</p>", str(v, "name"),
	    str(v, "id"), str(v, "township"),
	    moment(str(data, "now"), m, sizeof(m)));
	if (flash != NULL)
		html_printf(b, "<p class=\"flash\">%s</p>", flash);
	if (refusal != NULL)
		village_refusal(b, refusal);
	village_stage(b, data);
	village_overdue(b, data);
	village_form(b, data, who->csrf, form);
	village_steps(b, data);
	village_alerts(b, data);
	village_problems(b, data);
	page_end(b);
}

/* ---- the township board ---- */

static void
board_calendar(struct evbuffer *b, const json_t *data)
{
	const json_t *it;
	const char *now = str(data, "now");
	int64_t t_now = 0;
	int marked = 0;
	size_t i;
	char m[32], m2[32];

	iso_parse(now ? now : "", ISO_SHANGHAI_OFFSET, &t_now);
	html_printf(b, "<section><h2>日历 <span class=\"en\">Calendar</span>"
	    "</h2><table><tr><th>事项 / item</th><th>起止 / dates</th>"
	    "<th>状态 / status</th></tr>");
	json_array_foreach(json_object_get(data, "calendar"), i, it) {
		int64_t due = 0;
		const char *st = str(it, "status");

		iso_parse(str(it, "due") ? str(it, "due") : "",
		    ISO_SHANGHAI_OFFSET, &due);
		if (!marked && due > t_now) {
			html_printf(b, "<tr class=\"today\"><td colspan=\"3\">"
			    "▶ 今天 / today %s</td></tr>", moment(now, m,
			    sizeof(m)));
			marked = 1;
		}
		html_printf(b, "<tr%s><td>%s<br><span class=\"en\">%s</span>"
		    "</td><td class=\"d\">%s<br>→ %s</td><td><span class=\"badge %s\">%s"
		    "</span></td></tr>", st && (strcmp(st, "open") == 0 ||
		    strcmp(st, "due_soon") == 0) ? " class=\"current\"" : "",
		    str(it, "title"), str(it, "title_en"),
		    str(it, "opens") ? moment(str(it, "opens"), m2, sizeof(m2)) :
		    "", moment(str(it, "due"), m, sizeof(m)), status_class(st),
		    status_word(st));
	}
	if (!marked)
		html_printf(b, "<tr class=\"today\"><td colspan=\"3\">▶ 今天 / "
		    "today %s</td></tr>", moment(now, m, sizeof(m)));
	html_printf(b, "</table></section>");
}

static const char *
level_word(const char *level)
{
	if (level && strcmp(level, "red") == 0)
		return "落后";
	if (level && strcmp(level, "amber") == 0)
		return "需关注";
	return "正常";
}

static void
board_villages(struct evbuffer *b, const json_t *data)
{
	const json_t *v, *d;
	size_t i, k;

	html_printf(b, "<section><h2>各村进度 <span class=\"en\">Villages, most "
	    "behind first</span></h2>");
	json_array_foreach(json_object_get(data, "villages"), i, v) {
		const char *level = str(v, "level");

		html_printf(b, "<h3>%s <span class=\"en\">%s</span> <span "
		    "class=\"badge %s\">%s</span></h3><p class=\"en\">%lld 户 "
		    "households · 已脱贫 exited %lld · 逾期 overdue %lld · 迟交 "
		    "late %lld · 按期 on time %lld · 督办 escalations %lld · 延期 "
		    "extensions %lld</p><div class=\"vgrid\">", str(v, "name"),
		    str(v, "id"), level ? level : "green", level_word(level),
		    num(v, "households"), num(v, "exited"), num(v, "overdue"),
		    num(v, "late"), num(v, "on_time"), num(v, "escalations"),
		    num(v, "extensions"));
		json_array_foreach(json_object_get(data, "deadlines"), k, d) {
			const json_t *o = json_object_get(json_object_get(v,
			    "deadlines"), str(d, "id"));
			long long all = num(o, "instances");
			int on = all ? (int)(100 * num(o, "on_time") / all) : 0;
			int late = all ? (int)(100 * num(o, "late") / all) : 0;
			int over = all ? (int)(100 * num(o, "overdue") / all) : 0;
			char t[256], m[32];

			if (on > 100)
				on = 100;
			html_printf(b, "<div class=\"dl\">%s · %s<div "
			    "class=\"track\"><div class=\"fill\" "
			    "style=\"width:%d%%\"></div><div class=\"fill l\" "
			    "style=\"width:%d%%\"></div><div class=\"fill o\" "
			    "style=\"width:%d%%\"></div></div>", deadline_title(
			    str(d, "id"), t, sizeof(t)), moment(str(d, "due"), m,
			    sizeof(m)), on, late, over);
			if (all == 0)
				html_printf(b, "无 / none</div>");
			else
				html_printf(b, "按期 %lld / 迟 %lld / 逾期 %lld / "
				    "未到 %lld（共 %lld）</div>", num(o,
				    "on_time"), num(o, "late"), num(o,
				    "overdue"), num(o, "pending"), all);
		}
		html_printf(b, "</div>");
	}
	html_printf(b, "</section>");
}

static void
board_overdue(struct evbuffer *b, const json_t *data)
{
	const json_t *it;
	size_t i;
	long long n = num(data, "overdue_count");

	html_printf(b, "<section><h2>逾期清单 <span class=\"en\">Overdue</span> "
	    "<span class=\"badge %s\">%lld</span></h2>", n ? "red" : "green", n);
	if (n == 0) {
		html_printf(b, "<p>没有逾期 / nothing overdue</p></section>");
		return;
	}
	html_printf(b, "<table><tr><th>村 · 户 / village · household</th><th>"
	    "程序 · 环节 / step</th><th>期限 / deadline</th><th class=\"num\">"
	    "逾期 / late</th></tr>");
	json_array_foreach(json_object_get(data, "overdue"), i, it) {
		char t[256];

		html_printf(b, "<tr><td>%s · %s</td><td>%s · %s</td><td>%s%s"
		    "</td><td class=\"num late\">%lld 天</td></tr>",
		    str(it, "village_name"), str(it, "household_id") ?
		    str(it, "household_id") : "村级任务",
		    workflow_title(str(it, "workflow")), str(it, "state_title"),
		    short_title(str(it, "deadline_title"), t, sizeof(t)),
		    json_is_true(json_object_get(it, "extended")) ? "（已延期）" :
		    "", num(it, "days_overdue"));
	}
	html_printf(b, "</table>");
	if ((size_t)n > json_array_size(json_object_get(data, "overdue")))
		html_printf(b, "<p>仅列出最早的 %u 条 / the oldest %u shown</p>",
		    (unsigned)json_array_size(json_object_get(data, "overdue")),
		    (unsigned)json_array_size(json_object_get(data, "overdue")));
	html_printf(b, "</section>");
}

static void
board_escalations(struct evbuffer *b, const json_t *data)
{
	const json_t *it;
	size_t i;

	html_printf(b, "<section><h2>已发督办 <span class=\"en\">Escalations "
	    "sent</span> <span class=\"badge %s\">%u</span></h2>",
	    json_array_size(json_object_get(data, "escalations")) ? "red" :
	    "green", (unsigned)json_array_size(json_object_get(data,
	    "escalations")));
	if (json_array_size(json_object_get(data, "escalations")) == 0) {
		html_printf(b, "<p>没有 / none</p></section>");
		return;
	}
	html_printf(b, "<table><tr><th>时间 / at</th><th>村 / village</th><th>"
	    "内容 / text</th></tr>");
	json_array_foreach(json_object_get(data, "escalations"), i, it) {
		char m[32];

		html_printf(b, "<tr><td class=\"d\">%s<br><span class=\"badge red\">%lld 级"
		    "</span></td><td>%s</td><td>%s</td></tr>",
		    moment(str(it, "fire_at"), m, sizeof(m)), num(it, "level"),
		    str(it, "village_name"), str(it, "text"));
	}
	html_printf(b, "</table></section>");
}

static void
board_problems(struct evbuffer *b, const json_t *data)
{
	const json_t *it;
	size_t i;
	long long found = 0, open = 0, cleared = 0;

	html_printf(b, "<section><h2>问题整改 <span class=\"en\">Problems"
	    "</span></h2>");
	if (json_array_size(json_object_get(data, "problems")) == 0) {
		html_printf(b, "<p>尚未发现问题 / no problem found yet</p>"
		    "</section>");
		return;
	}
	html_printf(b, "<table><tr><th>村 / village</th><th class=\"num\">发现 "
	    "/ found</th><th class=\"num\">未清零 / open</th><th class=\"num\">"
	    "已清零 / cleared</th></tr>");
	json_array_foreach(json_object_get(data, "problems"), i, it) {
		found += num(it, "found");
		open += num(it, "open");
		cleared += num(it, "cleared");
		html_printf(b, "<tr><td>%s</td><td class=\"num\">%lld</td><td "
		    "class=\"num%s\">%lld</td><td class=\"num\">%lld</td></tr>",
		    str(it, "name"), num(it, "found"), num(it, "open") ?
		    " late" : "", num(it, "open"), num(it, "cleared"));
	}
	html_printf(b, "<tr><th>合计 / total</th><th class=\"num\">%lld</th>"
	    "<th class=\"num\">%lld</th><th class=\"num\">%lld</th></tr>"
	    "</table></section>", found, open, cleared);
}

void
page_township(struct evbuffer *b, const json_t *data,
    const struct page_who *who)
{
	char m[32];
	const char *township = str(data, "township");

	page_begin(b, "镇级看板 / Township board", who);
	html_printf(b, "<h1>%s 镇级看板 <span class=\"en\">Township board"
	    "</span></h1><p class=\"now\">截至 / as of %s · 提醒 %lld 条 "
	    "alerts</p>", township ? township : "",
	    moment(str(data, "now"), m, sizeof(m)),
	    num(json_object_get(data, "alerts"), "alerts"));
	board_calendar(b, data);
	board_villages(b, data);
	board_overdue(b, data);
	board_escalations(b, data);
	board_problems(b, data);
	page_end(b);
}
