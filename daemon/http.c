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
#include "web.h"

/* Scrapers ask small questions: bound what one connection may send and how
 * long it may idle. */
#define HTTP_MAX_HEADERS 8192
/* A page's form: a step is at most a 4096-byte line, URL-encoded. */
#define HTTP_MAX_BODY 16384
#define HTTP_TIMEOUT 10

/*
 * Connections are capped (control.http_max_clients). libevent 2.1's evhttp
 * has no cap and says nothing when it closes a connection, so each
 * connection's bufferevent is made here (evhttp_set_bevcb) and we keep a
 * reference to it: when evhttp frees it (bufferevent_free clears its
 * callbacks) ours is the last reference, and the reaper (on each new
 * connection and every HTTP_REAP_MS) drops it, which closes the socket.
 * At the cap the listener is held: new connections wait in the kernel's
 * queue, costing no descriptor, until one ends.
 */
#define HTTP_REAP_MS 250
/* A freed connection still reads until reaped: bound what it may buffer. */
#define HTTP_READ_HIGH (64 * 1024)

struct http {
	struct evhttp *eh;
	struct evconnlistener *listener;
	struct bufferevent **conns;
	size_t nconns, cap, max_conns;
	struct event *reaper;
	int held;
};

static void
http_update_hold(struct http *h)
{
	int hold = h->nconns >= h->max_conns;

	metrics_gauge_set("http_clients", NULL, (double)h->nconns);
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

/* Drop the connections evhttp is done with (all of them with all = 1). */
static void
http_reap(struct http *h, int all)
{
	size_t k = 0;

	for (size_t i = 0; i < h->nconns; i++) {
		bufferevent_data_cb r, w;
		bufferevent_event_cb e;

		bufferevent_getcb(h->conns[i], &r, &w, &e, NULL);
		if (all || (r == NULL && w == NULL && e == NULL))
			bufferevent_decref(h->conns[i]);
		else
			h->conns[k++] = h->conns[i];
	}
	h->nconns = k;
	if (!all)
		http_update_hold(h);
}

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	http_reap(arg, 0);
}

static struct bufferevent *
conn_new(struct event_base *base, void *arg)
{
	struct http *h = arg;
	struct bufferevent *bev;

	http_reap(h, 0);
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	bufferevent_setwatermark(bev, EV_READ, 0, HTTP_READ_HIGH);
	bufferevent_incref(bev);
	if (h->nconns == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->conns = xrealloc(h->conns, h->cap * sizeof(*h->conns));
	}
	h->conns[h->nconns++] = bev;
	http_update_hold(h);
	return bev;
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
	if (web_route(req, path))
		return;
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
	h->reaper = event_new(fupind->base, -1, EV_PERSIST, reap_cb, h);
	{
		struct timeval tv = { 0, HTTP_REAP_MS * 1000 };

		if (h->reaper == NULL || event_add(h->reaper, &tv) < 0)
			goto fail_alloc;
	}
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
	web_shutdown();
	if (h->listener != NULL)
		listener_unguard(h->listener);
	h->listener = NULL; /* evhttp_free frees it; no holds meanwhile */
	if (h->reaper != NULL)
		event_free(h->reaper);
	if (h->eh != NULL)
		evhttp_free(h->eh);
	http_reap(h, 1);
	free(h->conns);
	free(h);
}
