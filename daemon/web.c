/*
 * The web pages (see web.h): routing, sessions and their cookie, forms,
 * and the requests in flight.
 *
 * A request that needs the database or a token check becomes a web_req,
 * whose first member is a struct client with answer_to set: the command
 * table, engine_call_sql and auth_request answer it as they answer a
 * socket client, and answer_to turns the answer into the page. A step is
 * the very line a socket client would send ("ADVANCE H W E NOTE") given
 * to cmd_dispatch, so that nothing about roles, guards, notes or the
 * lock can differ between fupinctl and the page.
 *
 * After a step: Post/Redirect/Get when it was recorded (the message is
 * kept in the session and shown once by the next page), the page again
 * with status 422 and the refusal (the guard's message and figures) and
 * the form filled in when it was refused.
 */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "campaign.h"
#include "cmd.h"
#include "control.h"
#include "deadline.h"
#include "engine.h"
#include "fupind.h"
#include "html.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "web.h"
#include "web_page.h"

#define COOKIE_NAME "fupin_session"
#define FIELD_MAX 64	    /* household, workflow, event, village */
#define PAGE_MAX_ROWS "1000"  /* households and overdue rows on a page */
#define BOARD_MAX_ROWS "200"  /* overdue rows and escalations on the board */
#define LOGIN_FAILURE_MEMORY 900 /* seconds a peer's failures are kept */
#define LOGIN_PEERS 256

struct web_req {
	struct client c; /* first: answer_to casts back */
	struct evhttp_request *req; /* NULL once dropped (shutdown) */
	char sid[SESSION_ID_LEN + 1];
	char csrf[SESSION_ID_LEN + 1];
	char *village;	  /* the village page asked, NULL for the board */
	char *peer_host;
	json_t *refusal;  /* a refused step, shown on the page */
	struct page_form form;
	struct web_req *next, *prev;
};

static struct web_req *pending;
static uint64_t next_id;

/* Recent bad tokens per peer address, for auth's growing delay: a page
 * is a new connection each time, so the count cannot live in a client. */
static struct {
	char host[INET6_ADDRSTRLEN];
	int failures;
	time_t last;
} login_peers[LOGIN_PEERS];

/* ---- replies ---- */

static void
add_security_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "frame-ancestors 'none'; form-action 'self'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
}

static void
send_page(struct evhttp_request *req, int code, const char *reason,
    struct evbuffer *body)
{
	metrics_count("http_pages", reason, 1);
	add_security_headers(req, "text/html; charset=utf-8");
	evhttp_send_reply(req, code, reason, body);
}

static void
send_message(struct evhttp_request *req, int code, const char *reason,
    const char *title, const char *text, const struct page_who *who)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	page_message(b, title, text, who);
	send_page(req, code, reason, b);
	evbuffer_free(b);
}

static void
bad_request(struct evhttp_request *req, const char *why)
{
	send_message(req, HTTP_BADREQUEST, "Bad Request", "请求有误 / Bad request",
	    why, NULL);
}

static void
redirect(struct evhttp_request *req, const char *location, const char *cookie)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (cookie != NULL)
		evhttp_add_header(h, "Set-Cookie", cookie);
	evhttp_add_header(h, "Location", location);
	add_security_headers(req, "text/plain; charset=utf-8");
	evhttp_send_reply(req, 303, "See Other", NULL);
}

/* ---- who asks ---- */

static const char *
peer_host(struct evhttp_request *req)
{
	char *host = NULL;
	ev_uint16_t port = 0;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	return host ? host : "?";
}

static int
peer_is_loopback(struct evhttp_request *req)
{
	const char *h = peer_host(req);

	return strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 ||
	    strcmp(h, "::ffff:127.0.0.1") == 0;
}

/* Behind TLS: a proxy on this machine says so (nobody else may). */
static int
is_secure(struct evhttp_request *req)
{
	const char *proto = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "X-Forwarded-Proto");

	return proto != NULL && strcasecmp(proto, "https") == 0 &&
	    peer_is_loopback(req);
}

static struct session *
request_session(struct evhttp_request *req)
{
	char id[SESSION_ID_LEN + 2];
	const char *cookie = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Cookie");

	if (html_cookie(cookie, COOKIE_NAME, id, sizeof(id)) < 0)
		return NULL;
	return session_find(id);
}

static char *
session_cookie(struct evhttp_request *req, const char *id, int max_age)
{
	return xasprintf("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
	    COOKIE_NAME, id, max_age, is_secure(req) ? "; Secure" : "");
}

static void
who_of(const struct session *s, struct page_who *who)
{
	who->principal = s->principal;
	who->role = s->role;
	who->village = s->village;
	who->csrf = s->csrf;
}

static char *
home_of(const struct session *s)
{
	if (s->role == ROLE_VILLAGE)
		return xasprintf("/village/%s", s->village);
	return xstrdup("/township");
}

/* ---- requests in flight ---- */

static struct web_req *
req_new(struct evhttp_request *req, const struct session *s)
{
	struct web_req *wr = xcalloc(1, sizeof(*wr));

	wr->req = req;
	wr->peer_host = xstrdup(peer_host(req));
	wr->c.id = ++next_id;
	wr->c.tcp = 1; /* a principal only by token, as on the TCP listener */
	wr->c.peer = xasprintf("web %s", wr->peer_host);
	if (s != NULL) {
		wr->c.role = s->role;
		wr->c.village = s->village ? xstrdup(s->village) : NULL;
		wr->c.principal = xstrdup(s->principal);
		memcpy(wr->sid, s->id, sizeof(wr->sid));
		memcpy(wr->csrf, s->csrf, sizeof(wr->csrf));
	} else {
		wr->c.role = ROLE_NONE;
		wr->c.principal = xasprintf("web %s", wr->peer_host);
	}
	wr->next = pending;
	if (pending)
		pending->prev = wr;
	pending = wr;
	return wr;
}

static void
req_free(struct web_req *wr)
{
	struct session *s;

	if (wr->prev)
		wr->prev->next = wr->next;
	else
		pending = wr->next;
	if (wr->next)
		wr->next->prev = wr->prev;
	if (wr->sid[0] != '\0' && (s = session_find(wr->sid)) != NULL)
		s->busy = 0;
	free(wr->c.village);
	free(wr->c.principal);
	free(wr->c.peer);
	free(wr->village);
	free(wr->peer_host);
	json_decref(wr->refusal);
	free((char *)wr->form.household);
	free((char *)wr->form.workflow);
	free((char *)wr->form.event);
	free((char *)wr->form.note);
	explicit_bzero(wr->csrf, sizeof(wr->csrf));
	free(wr);
}

static void
req_who(struct web_req *wr, struct page_who *who)
{
	who->principal = wr->c.principal;
	who->role = wr->c.role;
	who->village = wr->c.village;
	who->csrf = wr->csrf;
}

/* The answer was an error: the page that says so. */
static void
req_error_page(struct web_req *wr, json_t *answer)
{
	const char *code = json_string_value(json_object_get(answer, "error"));
	const char *msg = json_string_value(json_object_get(answer, "message"));
	struct page_who who;

	req_who(wr, &who);
	if (code != NULL && strcmp(code, "unknown") == 0)
		send_message(wr->req, HTTP_NOTFOUND, "Not Found",
		    "找不到 / Not found", msg, &who);
	else if (code != NULL && strcmp(code, "forbidden") == 0)
		send_message(wr->req, 403, "Forbidden", "无权访问 / Forbidden",
		    msg, &who);
	else if (code != NULL && strcmp(code, "unavailable") == 0)
		send_message(wr->req, 503, "Service Unavailable",
		    "暂时无法访问 / Unavailable", msg, &who);
	else
		send_message(wr->req, HTTP_INTERNAL, "Internal Server Error",
		    "内部错误 / Internal error", msg, &who);
}

/* ---- the village page ---- */

static void
village_answer(struct client *c, json_t *answer)
{
	struct web_req *wr = (struct web_req *)c;
	struct evbuffer *b;
	struct page_who who;
	struct session *s;
	char *flash = NULL;

	if (wr->req == NULL)
		goto done;
	if (!json_is_true(json_object_get(answer, "ok"))) {
		req_error_page(wr, answer);
		goto done;
	}
	req_who(wr, &who);
	if (wr->refusal == NULL && (s = session_find(wr->sid)) != NULL &&
	    s->flash != NULL) {
		flash = s->flash;
		s->flash = NULL;
	}
	b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(wr->req, HTTP_INTERNAL, NULL);
		goto done;
	}
	page_village(b, answer, &who, flash, wr->refusal,
	    wr->refusal ? &wr->form : NULL);
	if (wr->refusal != NULL)
		send_page(wr->req, 422, "Unprocessable Entity", b);
	else
		send_page(wr->req, HTTP_OK, "OK", b);
	evbuffer_free(b);
done:
	free(flash);
	json_decref(answer);
	req_free(wr);
}

static void
ask_village(struct web_req *wr)
{
	char now[ISO_BUFSIZE], *alerts;
	json_t *p = deadline_alert_params();
	const char *params[6];

	alerts = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	params[0] = fupind->campaign->name;
	params[1] = wr->village;
	params[2] = iso_format(clock_now(fupind->clock), ISO_SHANGHAI_OFFSET,
	    now, sizeof(now));
	params[3] = alerts;
	params[4] = ALERTS_LANGUAGE_NAME(fupind->cfg);
	params[5] = PAGE_MAX_ROWS;
	wr->c.verb = "page";
	wr->c.answer_to = village_answer;
	engine_call_sql(&wr->c, "SELECT fupin.page_village($1, $2, "
	    "$3::timestamptz, $4::jsonb, $5, $6::int)::text", 6, params, NULL,
	    NULL);
	free(alerts);
}

/* A village id, household, workflow or event: one word of printable
 * ASCII (what the register and the files use), at most FIELD_MAX. */
static int
word_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FIELD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static void
step_answer(struct client *c, json_t *answer)
{
	struct web_req *wr = (struct web_req *)c;
	struct session *s;
	char *location, *text;

	if (wr->req == NULL) {
		json_decref(answer);
		req_free(wr);
		return;
	}
	if (!json_is_true(json_object_get(answer, "ok"))) {
		/* Refused: the page again, with why. */
		wr->refusal = answer;
		ask_village(wr);
		return;
	}
	if ((s = session_find(wr->sid)) != NULL) {
		const char *from = json_string_value(json_object_get(answer,
		    "from"));

		text = xasprintf("已记录 / Recorded: %s %s %s: %s → %s",
		    wr->form.household, wr->form.workflow, wr->form.event,
		    from ? from : "—",
		    json_string_value(json_object_get(answer, "to")));
		session_flash(s, text);
		free(text);
	}
	location = xasprintf("/village/%s", wr->village);
	redirect(wr->req, location, NULL);
	free(location);
	json_decref(answer);
	req_free(wr);
}

/* Each field once, decoded; NULL if absent. -1: malformed. */
static int
form_fields(const char *body, size_t len, const char *const *names,
    char **values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (html_form_value(body, len, names[i], &values[i]) < 0)
			return -1;
	return 0;
}

/* The request body as a string (evhttp bounded its size); NULL if it
 * holds a NUL byte. */
static char *
request_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char *body;

	*len = evbuffer_get_length(in);
	body = xmalloc(*len + 1);
	evbuffer_copyout(in, body, *len);
	body[*len] = '\0';
	return body;
}

static int
is_form(struct evhttp_request *req)
{
	const char *type = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");

	return type != NULL && strncasecmp(type,
	    "application/x-www-form-urlencoded", 33) == 0;
}

/* POST /village/V: a step, as ADVANCE. */
static void
village_post(struct web_req *wr, struct session *s)
{
	static const char *const names[] = { "csrf", "household", "workflow",
		"event", "note" };
	char *v[5] = { NULL }, *body, *line = NULL;
	const char *why;
	size_t len;

	if (!is_form(wr->req)) {
		bad_request(wr->req, "a step is sent as a form "
		    "(application/x-www-form-urlencoded)");
		goto fail;
	}
	body = request_body(wr->req, &len);
	if (html_form_check(body, len, &why) < 0 ||
	    form_fields(body, len, names, v, 5) < 0) {
		free(body);
		bad_request(wr->req, "the form is not valid URL-encoded UTF-8 "
		    "text, or gives a field twice");
		goto fail;
	}
	free(body);
	if (v[0] == NULL || !auth_equal(v[0], s->csrf)) {
		metrics_count("http_rejected", "csrf", 1);
		send_message(wr->req, 403, "Forbidden", "无权操作 / Forbidden",
		    "表单已过期，请重新打开页面 / the form is stale or not "
		    "ours (CSRF token); open the page again", NULL);
		goto fail;
	}
	if (v[1] == NULL || v[2] == NULL || v[3] == NULL || !word_ok(v[1]) ||
	    !word_ok(v[2]) || !word_ok(v[3])) {
		bad_request(wr->req, "household, workflow and event are each "
		    "one word of at most 64 characters");
		goto fail;
	}
	if (s->busy) {
		send_message(wr->req, 429, "Too Many Requests",
		    "请稍候 / One at a time", "上一步还在处理 / your previous "
		    "step is still being recorded", NULL);
		goto fail;
	}
	/* The note is the rest of the line: a line has no line breaks. */
	if (v[4] != NULL)
		for (char *p = v[4]; *p != '\0'; p++)
			if (*p == '\r' || *p == '\n' || *p == '\t')
				*p = ' ';
	if (v[4] != NULL && v[4][strspn(v[4], " ")] != '\0')
		line = xasprintf("ADVANCE %s %s %s %s", v[1], v[2], v[3], v[4]);
	else
		line = xasprintf("ADVANCE %s %s %s", v[1], v[2], v[3]);
	if (strlen(line) > CTL_MAX_LINE) {
		bad_request(wr->req, "the note is too long (a step is at most "
		    "4096 bytes, as on the status socket)");
		goto fail;
	}
	wr->form.household = v[1];
	wr->form.workflow = v[2];
	wr->form.event = v[3];
	wr->form.note = v[4];
	v[1] = v[2] = v[3] = v[4] = NULL;
	free(v[0]);
	s->busy = 1;
	wr->c.answer_to = step_answer;
	wr->c.busy = 1;
	cmd_dispatch(&wr->c, line);
	free(line);
	return;
fail:
	for (size_t i = 0; i < 5; i++)
		free(v[i]);
	free(line);
	req_free(wr);
}

static void
village_route(struct evhttp_request *req, const char *village, int post)
{
	struct session *s = request_session(req);
	struct web_req *wr;
	struct page_who who;

	if (s == NULL) {
		if (post)
			send_message(req, 401, "Unauthorized",
			    "请先登录 / Log in first", "没有有效的会话 / no "
			    "valid session", NULL);
		else
			redirect(req, "/login", NULL);
		return;
	}
	if (!word_ok(village)) {
		bad_request(req, "a village id is one word of at most 64 "
		    "characters");
		return;
	}
	if (s->role == ROLE_VILLAGE && strcmp(village, s->village) != 0) {
		char *text = xasprintf("你只能查看本村（%s） / you may see "
		    "village %s only", s->village, s->village);

		who_of(s, &who);
		metrics_count("http_rejected", "forbidden", 1);
		send_message(req, 403, "Forbidden", "无权访问 / Forbidden", text,
		    &who);
		free(text);
		return;
	}
	wr = req_new(req, s);
	wr->village = xstrdup(village);
	if (post)
		village_post(wr, s);
	else
		ask_village(wr);
}

/* ---- the township board ---- */

static void
township_answer(struct client *c, json_t *answer)
{
	struct web_req *wr = (struct web_req *)c;
	struct evbuffer *b;
	struct page_who who;

	if (wr->req == NULL)
		goto done;
	if (!json_is_true(json_object_get(answer, "ok"))) {
		req_error_page(wr, answer);
		goto done;
	}
	req_who(wr, &who);
	b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(wr->req, HTTP_INTERNAL, NULL);
		goto done;
	}
	page_township(b, answer, &who);
	send_page(wr->req, HTTP_OK, "OK", b);
	evbuffer_free(b);
done:
	json_decref(answer);
	req_free(wr);
}

static void
township_route(struct evhttp_request *req)
{
	struct session *s = request_session(req);
	struct web_req *wr;
	struct page_who who;
	char now[ISO_BUFSIZE];
	const char *params[3];

	if (s == NULL) {
		redirect(req, "/login", NULL);
		return;
	}
	if (s->role == ROLE_VILLAGE) {
		who_of(s, &who);
		metrics_count("http_rejected", "forbidden", 1);
		send_message(req, 403, "Forbidden", "无权访问 / Forbidden",
		    "镇级看板仅供镇、市领导查看 / the township board is for the "
		    "township and the city", &who);
		return;
	}
	wr = req_new(req, s);
	params[0] = fupind->campaign->name;
	params[1] = iso_format(clock_now(fupind->clock), ISO_SHANGHAI_OFFSET,
	    now, sizeof(now));
	params[2] = BOARD_MAX_ROWS;
	wr->c.verb = "page";
	wr->c.answer_to = township_answer;
	engine_call_sql(&wr->c, "SELECT fupin.page_township($1, "
	    "$2::timestamptz, $3::int)::text", 3, params, NULL, NULL);
}

/* ---- login and logout ---- */

static int
login_peer(const char *host)
{
	time_t now = time(NULL);
	int oldest = 0;

	for (int i = 0; i < LOGIN_PEERS; i++) {
		if (strcmp(login_peers[i].host, host) == 0) {
			if (now - login_peers[i].last > LOGIN_FAILURE_MEMORY)
				login_peers[i].failures = 0;
			return i;
		}
		if (login_peers[i].last < login_peers[oldest].last)
			oldest = i;
	}
	snprintf(login_peers[oldest].host, sizeof(login_peers[oldest].host),
	    "%s", host);
	login_peers[oldest].failures = 0;
	login_peers[oldest].last = now;
	return oldest;
}

static void
login_answer(struct client *c, json_t *answer)
{
	struct web_req *wr = (struct web_req *)c;
	int i = login_peer(wr->peer_host);
	struct session *s;
	struct evbuffer *b;
	char *cookie, *home;

	login_peers[i].last = time(NULL);
	if (!json_is_true(json_object_get(answer, "ok"))) {
		login_peers[i].failures = c->auth_failures;
		if (wr->req == NULL)
			goto done;
		b = evbuffer_new();
		if (b == NULL) {
			evhttp_send_error(wr->req, HTTP_INTERNAL, NULL);
			goto done;
		}
		page_login(b, "令牌不对 / wrong token");
		send_page(wr->req, 403, "Forbidden", b);
		evbuffer_free(b);
		goto done;
	}
	login_peers[i].failures = 0;
	if (wr->req == NULL)
		goto done;
	s = session_new(c->role, c->village, c->principal);
	if (s == NULL) {
		send_message(wr->req, HTTP_INTERNAL, "Internal Server Error",
		    "内部错误 / Internal error", "cannot start a session", NULL);
		goto done;
	}
	log_info("web: %s logged in from %s, role %s", s->principal,
	    wr->peer_host, role_name(s->role));
	cookie = session_cookie(wr->req, s->id, SESSION_MAX_AGE);
	home = home_of(s);
	redirect(wr->req, home, cookie);
	free(home);
	free(cookie);
done:
	json_decref(answer);
	req_free(wr);
}

static void
login_post(struct evhttp_request *req)
{
	char *body, *token = NULL;
	const char *why;
	size_t len;
	struct web_req *wr;

	if (!is_form(req)) {
		bad_request(req, "the token is sent as a form "
		    "(application/x-www-form-urlencoded)");
		return;
	}
	body = request_body(req, &len);
	if (html_form_check(body, len, &why) < 0 ||
	    html_form_value(body, len, "token", &token) < 0) {
		explicit_bzero(body, len);
		free(body);
		bad_request(req, why);
		return;
	}
	explicit_bzero(body, len);
	free(body);
	if (token == NULL || token[0] == '\0' || strlen(token) > 1024) {
		free(token);
		bad_request(req, "field token: the token you were given");
		return;
	}
	wr = req_new(req, NULL);
	wr->c.verb = "AUTH";
	wr->c.answer_to = login_answer;
	wr->c.busy = 1;
	wr->c.auth_failures = login_peers[login_peer(wr->peer_host)].failures;
	auth_request(&wr->c, token);
	explicit_bzero(token, strlen(token));
	free(token);
}

static void
logout_post(struct evhttp_request *req)
{
	struct session *s = request_session(req);
	char *body, *csrf = NULL, *cookie;
	size_t len;

	if (s != NULL) {
		body = request_body(req, &len);
		if (html_form_value(body, len, "csrf", &csrf) != 0 ||
		    !auth_equal(csrf, s->csrf)) {
			free(body);
			free(csrf);
			send_message(req, 403, "Forbidden",
			    "无权操作 / Forbidden", "the form is stale or not "
			    "ours (CSRF token)", NULL);
			return;
		}
		free(body);
		free(csrf);
		log_info("web: %s logged out", s->principal);
		session_end(s);
	}
	cookie = session_cookie(req, "", 0);
	redirect(req, "/login", cookie);
	free(cookie);
}

/* ---- routing ---- */

int
web_route(struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
	int post = cmd == EVHTTP_REQ_POST;
	struct session *s;

	if (strcmp(path, "/") == 0 && get) {
		char *home;

		if ((s = request_session(req)) == NULL) {
			redirect(req, "/login", NULL);
			return 1;
		}
		home = home_of(s);
		redirect(req, home, NULL);
		free(home);
		return 1;
	}
	if (strcmp(path, "/login") == 0) {
		struct evbuffer *b;

		if (post) {
			login_post(req);
			return 1;
		}
		if (!get)
			goto method;
		b = evbuffer_new();
		if (b == NULL) {
			evhttp_send_error(req, HTTP_INTERNAL, NULL);
			return 1;
		}
		page_login(b, NULL);
		send_page(req, HTTP_OK, "OK", b);
		evbuffer_free(b);
		return 1;
	}
	if (strcmp(path, "/logout") == 0) {
		if (!post)
			goto method;
		logout_post(req);
		return 1;
	}
	if (strcmp(path, "/township") == 0) {
		if (!get)
			goto method;
		township_route(req);
		return 1;
	}
	if (strncmp(path, "/village/", 9) == 0) {
		if (!get && !post)
			goto method;
		village_route(req, path + 9, post);
		return 1;
	}
	return 0;
method:
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    strcmp(path, "/logout") == 0 ? "POST" : strcmp(path, "/township")
	    == 0 ? "GET, HEAD" : "GET, HEAD, POST");
	send_message(req, 405, "Method Not Allowed", "不支持 / Method not allowed",
	    path, NULL);
	return 1;
}

void
web_shutdown(void)
{
	for (struct web_req *wr = pending; wr != NULL; wr = wr->next)
		wr->req = NULL;
	session_end_all();
}
