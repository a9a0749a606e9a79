/* The HTTP listener for monitoring (see http.h). */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "addr.h"
#include "control.h"
#include "engine.h"
#include "fupind.h"
#include "http.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"

/* Scrapers ask small questions: bound what one connection may send and how
 * long it may idle. */
#define HTTP_MAX_HEADERS 8192
#define HTTP_MAX_BODY 1024
#define HTTP_TIMEOUT 10

/*
 * Connections are capped (control.http_max_clients): libevent 2.1's
 * evhttp has no cap of its own, so each connection's bufferevent is made
 * here (evhttp_set_bevcb) as a pass-through filter whose free callback
 * tells us when evhttp is done with it. At the cap the listener is held:
 * new connections wait in the kernel's queue, costing us no descriptor.
 */
struct http {
	struct evhttp *eh;
	struct evconnlistener *listener;
	size_t nconns, max_conns;
	int held;
};

static void
http_update_hold(struct http *h)
{
	int hold = h->nconns >= h->max_conns;

	if (hold == h->held || h->listener == NULL)
		return;
	h->held = hold;
	if (hold) {
		log_notice("http: %zu connections, the limit; new ones wait",
		    h->nconns);
		metrics_count("requests_rejected", "http_busy", 1);
	}
	listener_hold(h->listener, hold);
}

static void
conn_freed(void *arg)
{
	struct http *h = arg;

	h->nconns--;
	metrics_gauge_set("http_clients", NULL, (double)h->nconns);
	http_update_hold(h);
}

static struct bufferevent *
conn_new(struct event_base *base, void *arg)
{
	struct http *h = arg;
	struct bufferevent *sock, *f;

	sock = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (sock == NULL)
		return NULL;
	f = bufferevent_filter_new(sock, NULL, NULL, BEV_OPT_CLOSE_ON_FREE,
	    conn_freed, h);
	if (f == NULL) {
		bufferevent_free(sock);
		return NULL;
	}
	h->nconns++;
	metrics_gauge_set("http_clients", NULL, (double)h->nconns);
	http_update_hold(h);
	return f;
}

void
http_apply_config(struct http *h, const struct config *cfg)
{
	h->max_conns = (size_t)cfg->control_http_max_clients;
	http_update_hold(h);
}

/* The campaign's township-wide figures go to loopback peers, or to any
 * peer with control.metrics_remote. */
static int
may_see_campaign(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) :
					    NULL;

	if (fupind->cfg->control_metrics_remote)
		return 1;
	return sa != NULL && addr_is_loopback(sa);
}

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
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		char *text = metrics_prometheus(may_see_campaign(req));

		reply_text(req, HTTP_OK, "OK",
		    "text/plain; version=0.0.4; charset=utf-8", text);
		free(text);
	} else if (strcmp(path, "/healthz") == 0) {
		char why[512], *text;

		if (engine_health(why, sizeof(why)))
			reply_text(req, HTTP_OK, "OK", "text/plain", "ok\n");
		else {
			text = xasprintf("unhealthy: %s\n", why);
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
	    1024, (struct sockaddr *)&ss, (int)len);
	if (l == NULL) {
		errlist_add(errs, fupind->cfg->path, 0, "control.http",
		    "cannot listen on %s: %s", spec, strerror(errno));
		goto fail;
	}
	if (evhttp_bind_listener(h->eh, l) == NULL) {
		evconnlistener_free(l);
		goto fail_alloc;
	}
	/* After evhttp_bind_listener, which sets the accept callback only. */
	h->listener = l;
	listener_guard(l, "http");
	evhttp_set_bevcb(h->eh, conn_new, h);
	http_apply_config(h, fupind->cfg);
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
	if (h->listener != NULL)
		listener_unguard(h->listener);
	h->listener = NULL; /* evhttp_free frees it; no holds meanwhile */
	if (h->eh != NULL)
		evhttp_free(h->eh);
	free(h);
}
