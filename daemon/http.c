/* The HTTP listener for monitoring (see http.h). */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "control.h"
#include "fupind.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "web.h"

/* Scrapers ask small questions: bound what one connection may send and how
 * long it may idle. */
#define HTTP_MAX_HEADERS 8192
/* A page's form: a step is at most a 4096-byte line, URL-encoded. */
#define HTTP_MAX_BODY 16384
#define HTTP_TIMEOUT 10

struct http {
	struct evhttp *eh;
};

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *type, const char *text)
{
	struct evbuffer *body = evbuffer_new();

	if (body == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type);
	evbuffer_add(body, text, strlen(text));
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(
	    req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (path == NULL)
		path = "/";
	metrics_count("http_requests", path[0] == '/' &&
		(strcmp(path, "/metrics") == 0 ||
		    strcmp(path, "/healthz") == 0) ? path + 1 : "other", 1);
	if (web_route(req, path))
		return;
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		char *text = metrics_prometheus();

		reply_text(req, HTTP_OK, "OK",
		    "text/plain; version=0.0.4; charset=utf-8", text);
		free(text);
	} else if (strcmp(path, "/healthz") == 0) {
		int up = fupind->db != NULL && db_state(fupind->db) == DB_UP;
		char *text;

		if (up && fupind->schema_ok)
			reply_text(req, HTTP_OK, "OK", "text/plain", "ok\n");
		else {
			text = xasprintf("unhealthy: database %s%s\n",
			    fupind->db ? db_state_name(fupind->db) : "down",
			    up ? ", schema not current" : "");
			reply_text(req, 503, "Service Unavailable",
			    "text/plain", text);
			free(text);
		}
	} else
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

struct http *
http_create(const char *spec, struct errlist *errs)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct http *h;
	struct evconnlistener *l;

	if (control_parse_listen(fupind->cfg, "control.http", spec, &ss, &len,
		errs) < 0)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->eh = evhttp_new(fupind->base);
	if (h->eh == NULL)
		goto fail_alloc;
	l = evconnlistener_new_bind(fupind->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, (int)len);
	if (l == NULL) {
		errlist_add(errs, fupind->cfg->path, 0, "control.http",
		    "cannot listen on %s: %s", spec, strerror(errno));
		goto fail;
	}
	if (evhttp_bind_listener(h->eh, l) == NULL) {
		evconnlistener_free(l);
		goto fail_alloc;
	}
	evhttp_set_max_headers_size(h->eh, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->eh, HTTP_MAX_BODY);
	evhttp_set_timeout(h->eh, HTTP_TIMEOUT);
	evhttp_set_allowed_methods(h->eh, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST);
	evhttp_set_gencb(h->eh, request_cb, h);
	return h;
fail_alloc:
	errlist_add(errs, fupind->cfg->path, 0, "control.http",
	    "cannot set up the HTTP listener");
fail:
	http_free(h);
	return NULL;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	web_shutdown();
	if (h->eh != NULL)
		evhttp_free(h->eh);
	free(h);
}
