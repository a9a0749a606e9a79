/*
 * The status socket server (see control.h): listeners, clients, line
 * framing, limits, and the role each peer gets.
 *
 * A client has at most one request in progress. While it is answered the
 * client's reading is paused, so a pipelining client is served in order
 * and cannot make us buffer unbounded work; answers to a client that no
 * longer reads pile up only to control.max_output, then it is cut off.
 * A client that disconnects while its request waits on the database is
 * marked dead and freed when the answer arrives, never mid-callback.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "addr.h"
#include "auth.h"
#include "cmd.h"
#include "control.h"
#include "http.h"
#include "import.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"

struct control {
	struct evconnlistener *unix_listener;
	struct evconnlistener *tcp_listener;
	struct http *http;
	char *socket_path;
	struct client *clients;
	size_t nclients;
	uint64_t next_id;
	size_t max_clients;
	size_t max_per_user;
	size_t max_anonymous;
	size_t max_anonymous_per_peer;
	size_t max_output;
	int idle_timeout;
	int auth_timeout;
	int request_timeout;
};

/* Refused connections are answered busy, then kept a moment (reading and
 * discarding) so that a client which already sent its request reads the
 * answer instead of a reset; at most this many at once. */
#define LINGER_MAX 256
#define LINGER_SECONDS 2
static int nlingering;

/* Room in the kernel for a burst of several hundred villages connecting
 * at once (capped by net.core.somaxconn). */
#define CTL_BACKLOG 1024

/* The role of a Unix peer: the access list, or, without one, root and
 * the daemon's own user as admin. */
static void
assign_unix_role(struct control *ctl, struct client *c)
{
	const struct config *cfg = fupind->cfg;

	for (size_t i = 0; i < cfg->naccess; i++) {
		const struct access_entry *a = &cfg->access[i];

		for (size_t k = 0; k < a->nuids; k++) {
			if (a->uids[k] != c->uid)
				continue;
			c->role = role_from_name(a->role);
			c->village = a->village ? xstrdup(a->village) : NULL;
			c->principal = xasprintf("%s(uid %u)", a->name,
			    (unsigned)c->uid);
			return;
		}
	}
	if (cfg->naccess == 0 && (c->uid == 0 || c->uid == geteuid())) {
		c->role = ROLE_ADMIN;
		c->principal = xasprintf("uid %u", (unsigned)c->uid);
		return;
	}
	c->role = ROLE_NONE;
	c->principal = xasprintf("uid %u", (unsigned)c->uid);
}

static void
client_free(struct client *c)
{
	struct control *ctl = c->ctl;

	import_client_gone(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->nclients--;
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->ev_anonymous)
		event_free(c->ev_anonymous);
	if (c->ev_request)
		event_free(c->ev_request);
	free(c->peer_key);
	free(c->principal_key);
	free(c->village);
	free(c->principal);
	free(c->peer);
	free(c);
	metrics_gauge_set("clients", NULL, (double)ctl->nclients);
}

/* Tear the client down now, or when its pending answer arrives. */
static void
client_close(struct client *c)
{
	if (c->busy) {
		c->dead = 1;
		if (c->bev) {
			bufferevent_free(c->bev);
			c->bev = NULL;
		}
		return;
	}
	client_free(c);
}

/*
 * An answer's text and its newline, written at once when nothing is
 * waiting to go before it, so that an answer costs one send and no
 * epoll_ctl; what the socket does not take goes out with the bufferevent.
 * Not for a last answer (QUIT, a refusal, a timeout): its connection is
 * closed once the output is empty, which must not happen in the middle of
 * the request's own processing.
 */
static void
client_send_text(struct client *c, const char *text, size_t len)
{
	struct evbuffer *out;
	struct iovec iov[2];
	ssize_t n = 0;

	if (c->bev == NULL)
		return;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) == 0 && !c->quitting) {
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

		iov[0].iov_base = (void *)(uintptr_t)text;
		iov[0].iov_len = len;
		iov[1].iov_base = (void *)(uintptr_t)"\n";
		iov[1].iov_len = 1;
		do
			n = sendmsg(bufferevent_getfd(c->bev), &msg,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			n = 0; /* the bufferevent meets the error itself */
	}
	if ((size_t)n < len)
		evbuffer_add(out, text + n, len - (size_t)n);
	if ((size_t)n <= len)
		evbuffer_add(out, "\n", 1);
}

static void
client_send_line(struct client *c, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);

	if (text == NULL)
		text = xstrdup("{\"ok\":false,\"error\":\"internal\","
			       "\"message\":\"cannot encode the answer\"}");
	client_send_text(c, text, strlen(text));
	free(text);
}

static void client_process(struct client *);
static void flush_then_close_cb(struct bufferevent *, void *);
static void event_cb(struct bufferevent *, short, void *);

/*
 * A request not answered within control.request_timeout: answer timeout
 * and close the connection once that is written. Whatever was asked may
 * still complete (a statement already sent); its late answer cannot be
 * told from the next request's, so it is dropped with the connection.
 */
static void
request_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	json_t *o;

	if (!c->busy || c->dead || c->timed_out || c->bev == NULL)
		return;
	log_notice("control: client %llu (%s): %s not answered within %ds; "
		   "answering timeout",
	    (unsigned long long)c->id, c->principal, c->verb ? c->verb : "?",
	    c->ctl->request_timeout);
	metrics_count("request_errors", "timeout", 1);
	o = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", "timeout",
	    "message", "no answer in time; what you asked may still have "
	    "been done (check before repeating it)");
	c->timed_out = 1;
	c->quitting = 1;
	client_send_line(c, o);
	json_decref(o);
	bufferevent_disable(c->bev, EV_READ);
	/* A client gone meanwhile is torn down by event_cb. */
	bufferevent_setcb(c->bev, NULL, flush_then_close_cb, event_cb, c);
}

static void
request_deadline_arm(struct client *c)
{
	struct timeval tv = { c->ctl->request_timeout, 0 };

	if (c->ev_request == NULL)
		c->ev_request = evtimer_new(fupind->base, request_deadline_cb,
		    c);
	if (c->ev_request != NULL)
		evtimer_add(c->ev_request, &tv);
}

void
client_set_deadline(struct client *c, int seconds)
{
	struct timeval tv = { seconds, 0 };

	if (c->ev_request != NULL)
		evtimer_add(c->ev_request, &tv);
}

static void
flush_then_close_cb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_close(c);
}

/* The answer is on its way: the next request of c may be read. */
static void
client_answered(struct client *c)
{
	c->busy = 0;
	c->verb = NULL;
	if (c->quitting) {
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_setcb(c->bev, NULL, flush_then_close_cb, NULL, c);
		flush_then_close_cb(c->bev, c);
		return;
	}
	if (!c->in_process)
		client_process(c);
}

void
client_reply(struct client *c, json_t *answer)
{
	int ok;

	if (c->ev_request)
		event_del(c->ev_request);
	if (c->answer_to != NULL) {
		c->busy = 0;
		c->answer_to(c, answer);
		return;
	}
	if (c->dead) {
		json_decref(answer);
		c->busy = 0;
		client_free(c);
		return;
	}
	if (c->timed_out) {
		/* Answered "timeout" already; its connection is closing. */
		json_decref(answer);
		c->busy = 0;
		c->verb = NULL;
		flush_then_close_cb(c->bev, c);
		return;
	}
	ok = json_is_true(json_object_get(answer, "ok"));
	metrics_count("requests", c->verb ? c->verb : "?", 1);
	if (!ok)
		metrics_count("request_errors",
		    json_string_value(json_object_get(answer, "error")), 1);
	client_send_line(c, answer);
	json_decref(answer);
	client_answered(c);
}

void
client_reply_ok_text(struct client *c, const char *text, size_t len)
{
	json_t *answer;

	if (c->answer_to != NULL || c->dead || c->timed_out ||
	    c->bev == NULL) {
		/* Not a plain socket answer: the JSON way does the rest. */
		if ((answer = json_loadb(text, len, 0, NULL)) == NULL)
			answer = json_pack("{s:b, s:s, s:s}", "ok", 0, "error",
			    "internal", "message", "bad answer from the database");
		client_reply(c, answer);
		return;
	}
	if (c->ev_request)
		event_del(c->ev_request);
	metrics_count("requests", c->verb ? c->verb : "?", 1);
	client_send_text(c, text, len);
	client_answered(c);
}

void
client_error(struct client *c, const char *code, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	client_reply(c, json_pack("{s:b, s:s, s:s}", "ok", 0, "error", code,
			    "message", msg));
}

/* Answer and disconnect: for framing errors, where we cannot trust that
 * the rest of the stream is a request. */
static void
client_reject(struct client *c, const char *code, const char *msg)
{
	json_t *o = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", code,
	    "message", msg);

	metrics_count("requests_rejected", code, 1);
	log_info("control: client %llu (%s): %s; disconnecting",
	    (unsigned long long)c->id, c->principal, msg);
	c->quitting = 1;
	client_send_line(c, o);
	json_decref(o);
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, flush_then_close_cb, NULL, c);
	flush_then_close_cb(c->bev, c);
}

/* The longest line c may send next: IMPORT ROWS of an upload in progress
 * may be long (import.h), every other request CTL_MAX_LINE. */
static size_t
client_max_line(struct client *c, struct evbuffer *in)
{
	static const char rows[] = "IMPORT ROWS ";
	char head[sizeof(rows) - 1];
	size_t max = import_max_line(c);

	if (max <= CTL_MAX_LINE ||
	    evbuffer_copyout(in, head, sizeof(head)) != (ssize_t)sizeof(head) ||
	    strncasecmp(head, rows, sizeof(head)) != 0)
		return CTL_MAX_LINE;
	return max;
}

/* Run the complete lines in the input, one at a time. */
static void
client_process(struct client *c)
{
	struct evbuffer *in;
	size_t len, max;
	char *line;

	c->in_process = 1;
	while (!c->busy && !c->dead && !c->quitting && c->bev != NULL) {
		in = bufferevent_get_input(c->bev);
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
		    c->ctl->max_output) {
			/* It asks and never reads: cut it off. */
			log_info("control: client %llu (%s) does not read its "
				 "answers; disconnecting",
			    (unsigned long long)c->id, c->principal);
			metrics_count("requests_rejected", "slow_reader", 1);
			c->in_process = 0;
			client_close(c);
			return;
		}
		max = client_max_line(c, in);
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > max)
				client_reject(c, "too_long", max > CTL_MAX_LINE ?
				    "IMPORT ROWS longer than 1 MiB" :
				    "request longer than 4096 bytes");
			break;
		}
		if (len > max) {
			free(line);
			client_reject(c, "too_long", max > CTL_MAX_LINE ?
			    "IMPORT ROWS longer than 1 MiB" :
			    "request longer than 4096 bytes");
			break;
		}
		if (strlen(line) != len || !utf8_valid(line, len)) {
			free(line);
			client_reject(c, "encoding",
			    "request is not valid UTF-8 text (or holds a NUL "
			    "byte)");
			break;
		}
		c->busy = 1;
		request_deadline_arm(c);
		cmd_dispatch(c, line);
		free(line);
	}
	c->in_process = 0;
	if (c->dead && !c->busy) {
		client_free(c);
		return;
	}
	if (c->bev == NULL || c->quitting)
		return;
	/* Reading goes on while an answer is pending, so that a request
	 * and its answer cost no epoll_ctl; a client that sends more
	 * before its answer is paused until it comes (and event_cb keeps
	 * an end of input or an idle timeout for after it). */
	if (c->busy && evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	client_process(arg);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	/* Output drained: a paused-for-output client may go on. */
	if (!c->busy && !c->in_process)
		client_process(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	if (c->busy && !(what & BEV_EVENT_ERROR) &&
	    (what & (BEV_EVENT_EOF | BEV_EVENT_TIMEOUT)) && !c->quitting) {
		/* Its answer is still to come: a client that has sent all
		 * it will send may still read it, and waiting for it is not
		 * idling. Read again (and see this again) after it. */
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_info("control: client %llu (%s) idle too long; "
			 "disconnecting",
		    (unsigned long long)c->id, c->principal);
		metrics_count("requests_rejected", "idle", 1);
	}
	client_close(c);
}

/* ---- refusing ---- */

struct lingerer {
	evutil_socket_t fd;
	struct event *ev;
	struct lingerer *next, *prev;
};

static struct lingerer *lingering;

static void
linger_free(struct lingerer *lg)
{
	if (lg->prev)
		lg->prev->next = lg->next;
	else
		lingering = lg->next;
	if (lg->next)
		lg->next->prev = lg->prev;
	event_free(lg->ev);
	close(lg->fd);
	free(lg);
	nlingering--;
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lingerer *lg = arg;
	char buf[4096];
	ssize_t n;

	if (what & EV_READ) {
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
	}
	linger_free(lg);
}

/* Answer busy (one line), then close: at once, or after a short linger
 * that lets the client read the line even if it already wrote. */
static void
refuse(evutil_socket_t fd, const char *why)
{
	char line[256];
	struct lingerer *lg;
	struct timeval tv = { LINGER_SECONDS, 0 };
	ssize_t n;

	snprintf(line, sizeof(line),
	    "{\"ok\":false,\"error\":\"busy\",\"message\":\"%s; try "
	    "again shortly\"}\n", why);
	n = send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)n;
	metrics_count("requests_rejected", "busy", 1);
	shutdown(fd, SHUT_WR);
	if (nlingering >= LINGER_MAX || fupind->stopping) {
		close(fd);
		return;
	}
	lg = calloc(1, sizeof(*lg));
	if (lg == NULL) {
		close(fd);
		return;
	}
	lg->fd = fd;
	lg->ev = event_new(fupind->base, fd, EV_READ | EV_PERSIST, linger_cb,
	    lg);
	if (lg->ev == NULL || event_add(lg->ev, &tv) < 0) {
		if (lg->ev)
			event_free(lg->ev);
		free(lg);
		close(fd);
		return;
	}
	lg->next = lingering;
	if (lingering)
		lingering->prev = lg;
	lingering = lg;
	nlingering++;
}

/* ---- limits ---- */

static void
anonymous_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	if (c->role != ROLE_NONE)
		return;
	log_info("control: client %llu (%s) has no role after %ds; "
		 "disconnecting",
	    (unsigned long long)c->id, c->principal, c->ctl->auth_timeout);
	metrics_count("requests_rejected", "no_role_timeout", 1);
	if (c->busy && !c->dead) {
		/* Answer what it asked (an AUTH waiting out its penalty),
		 * then close. */
		c->quitting = 1;
		return;
	}
	client_close(c);
}

/* Connections now held by principal (with a role) or, without a role, in
 * all and from peer_key. */
static void
count_clients(const struct control *ctl, const char *principal,
    const char *peer_key, size_t *same_principal, size_t *anonymous,
    size_t *anonymous_same_peer)
{
	*same_principal = *anonymous = *anonymous_same_peer = 0;
	for (const struct client *c = ctl->clients; c; c = c->next) {
		if (c->dead)
			continue;
		if (c->role == ROLE_NONE) {
			(*anonymous)++;
			if (peer_key && strcmp(c->peer_key, peer_key) == 0)
				(*anonymous_same_peer)++;
		} else if (principal && c->principal_key &&
		    strcmp(c->principal_key, principal) == 0)
			(*same_principal)++;
	}
}

int
control_role_changed(struct client *c)
{
	struct control *ctl = c->ctl;
	size_t same, anon, anon_peer;

	/* A web page's request is no connection of ours: the HTTP
	 * listener bounds those. */
	if (ctl == NULL)
		return 0;
	if (c->role == ROLE_NONE) {
		struct timeval tv = { ctl->auth_timeout, 0 };

		if (c->ev_anonymous == NULL)
			c->ev_anonymous = evtimer_new(fupind->base,
			    anonymous_deadline_cb, c);
		if (c->ev_anonymous)
			evtimer_add(c->ev_anonymous, &tv);
		return 0;
	}
	if (c->ev_anonymous)
		event_del(c->ev_anonymous);
	count_clients(ctl, c->principal_key, NULL, &same, &anon, &anon_peer);
	/* same counts c itself. */
	if (same > ctl->max_per_user) {
		metrics_count("requests_rejected", "busy", 1);
		return -1;
	}
	return 0;
}

/* Why a new client may not be served, or NULL. */
static const char *
over_limit(const struct control *ctl, const struct client *c)
{
	size_t same, anon, anon_peer;

	if (fupind->stopping)
		return "stopping";
	if (ctl->nclients >= ctl->max_clients)
		return "too many clients";
	count_clients(ctl, c->role != ROLE_NONE ? c->principal_key : NULL,
	    c->peer_key, &same, &anon, &anon_peer);
	if (c->role != ROLE_NONE)
		return same >= ctl->max_per_user ?
		    "too many connections of yours" : NULL;
	if (anon >= ctl->max_anonymous)
		return "too many clients without a role";
	if (anon_peer >= ctl->max_anonymous_per_peer)
		return "too many connections of yours without a role";
	return NULL;
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct control *ctl = arg;
	struct client *c;
	struct timeval tv;
	const char *why;

	if (fupind->stopping || ctl->nclients >= ctl->max_clients) {
		refuse(fd, fupind->stopping ? "stopping" : "too many clients");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	if (sa->sa_family == AF_UNIX) {
		struct ucred cred;
		socklen_t len = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
			c->uid = cred.uid;
		else
			c->uid = (uid_t)-1;
		c->peer = xasprintf("uid %u", (unsigned)c->uid);
		c->peer_key = xstrdup(c->peer);
		c->principal_key = xstrdup(c->peer);
		assign_unix_role(ctl, c);
	} else {
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;

		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *in = (void *)sa;

			inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
			port = ntohs(in->sin_port);
			c->peer = xasprintf("%s:%u", host, port);
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (void *)sa;

			inet_ntop(AF_INET6, &in6->sin6_addr, host,
			    sizeof(host));
			port = ntohs(in6->sin6_port);
			c->peer = xasprintf("[%s]:%u", host, port);
		} else
			c->peer = xstrdup("tcp");
		c->peer_key = xstrdup(host);
		c->tcp = 1;
		c->role = ROLE_NONE;
		c->principal = xasprintf("tcp %s", c->peer);
	}
	if ((why = over_limit(ctl, c)) != NULL) {
		log_debug("control: refused %s (%s): %s", c->peer,
		    role_name(c->role), why);
		refuse(fd, why);
		free(c->principal_key);
		free(c->peer_key);
		free(c->village);
		free(c->principal);
		free(c->peer);
		free(c);
		return;
	}
	c->id = ++ctl->next_id;
	c->bev = bufferevent_socket_new(fupind->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("control: cannot set up a client");
		close(fd);
		free(c->principal_key);
		free(c->peer_key);
		free(c->village);
		free(c->principal);
		free(c->peer);
		free(c);
		return;
	}
	c->next = ctl->clients;
	if (ctl->clients)
		ctl->clients->prev = c;
	ctl->clients = c;
	ctl->nclients++;
	metrics_gauge_set("clients", NULL, (double)ctl->nclients);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	tv.tv_sec = ctl->idle_timeout;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (c->role == ROLE_NONE)
		control_role_changed(c);
	log_debug("control: client %llu connected as %s (%s)",
	    (unsigned long long)c->id, role_name(c->role), c->principal);
}

void
control_apply_config(struct control *ctl, const struct config *cfg)
{
	ctl->max_clients = (size_t)cfg->control_max_clients;
	ctl->max_per_user = (size_t)cfg->control_max_per_user;
	ctl->max_anonymous = (size_t)cfg->control_max_anonymous;
	ctl->max_anonymous_per_peer =
	    (size_t)cfg->control_max_anonymous_per_peer;
	ctl->max_output = (size_t)cfg->control_max_output;
	ctl->idle_timeout = (int)cfg->control_idle_timeout;
	ctl->auth_timeout = (int)cfg->control_auth_timeout;
	ctl->request_timeout = (int)cfg->control_request_timeout;
	if (ctl->http)
		http_apply_config(ctl->http, cfg);
}

static struct evconnlistener *
listen_unix(struct control *ctl, const char *path, int mode,
    struct errlist *errs)
{
	struct sockaddr_un sun;
	socklen_t sunlen;
	struct evconnlistener *l;
	mode_t old;

	if (addr_unix(path, &sun, &sunlen) < 0) {
		errlist_add(errs, path, 0, "control.socket", "path too long");
		return NULL;
	}
	/* A stale socket from a crashed run would make bind fail; a live
	 * daemon on it answers a connect, so check before removing. */
	{
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		if (s >= 0 && connect(s, (struct sockaddr *)&sun, sunlen) ==
		    0) {
			close(s);
			errlist_add(errs, path, 0, "control.socket",
			    "another fupind is already listening there");
			return NULL;
		}
		if (s >= 0)
			close(s);
	}
	unlink(path);
	old = umask(0777 & ~(mode_t)mode);
	l = evconnlistener_new_bind(fupind->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, CTL_BACKLOG,
	    (struct sockaddr *)&sun, (int)sunlen);
	umask(old);
	if (l == NULL) {
		errlist_add(errs, path, 0, "control.socket", "cannot listen: %s",
		    strerror(errno));
		return NULL;
	}
	chmod(path, (mode_t)mode);
	listener_guard(l, "control");
	return l;
}

/*
 * "host:port" of key into ss. Tokens and metrics cross the network in
 * clear text, so an address other than loopback (including the wildcard
 * 0.0.0.0) needs control.listen_remote = "yes": a typo must not open the
 * daemon to the township's network.
 */
int
control_parse_listen(const struct config *cfg, const char *key,
    const char *spec, struct sockaddr_storage *ss, socklen_t *len,
    struct errlist *errs)
{
	if (addr_parse(spec, ss, len) < 0) {
		errlist_add(errs, cfg->path, 0, key,
		    "\"%s\" is not address:port (such as 127.0.0.1:7070)",
		    spec);
		return -1;
	}
	if (!addr_is_loopback((struct sockaddr *)ss) &&
	    !cfg->control_listen_remote) {
		errlist_add(errs, cfg->path, 0, key,
		    "%s is not a loopback address; set "
		    "control.listen_remote = \"yes\" to listen there",
		    spec);
		return -1;
	}
	return 0;
}

static struct evconnlistener *
listen_tcp(struct control *ctl, const char *spec, struct errlist *errs)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct evconnlistener *l;

	if (control_parse_listen(fupind->cfg, "control.listen", spec, &ss,
		&len, errs) < 0)
		return NULL;
	l = evconnlistener_new_bind(fupind->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    CTL_BACKLOG, (struct sockaddr *)&ss, (int)len);
	if (l == NULL) {
		errlist_add(errs, fupind->cfg->path, 0, "control.listen",
		    "cannot listen on %s: %s", spec, strerror(errno));
		return NULL;
	}
	listener_guard(l, "control tcp");
	return l;
}

struct control *
control_create(struct errlist *errs)
{
	struct control *ctl = xcalloc(1, sizeof(*ctl));

	control_apply_config(ctl, fupind->cfg);
	ctl->socket_path = xstrdup(fupind->cfg->control_socket);
	ctl->unix_listener = listen_unix(ctl, ctl->socket_path,
	    (int)fupind->cfg->control_socket_mode, errs);
	if (ctl->unix_listener == NULL)
		goto fail;
	if (fupind->cfg->control_listen[0] != '\0') {
		ctl->tcp_listener = listen_tcp(ctl, fupind->cfg->control_listen,
		    errs);
		if (ctl->tcp_listener == NULL)
			goto fail;
	}
	if (fupind->cfg->control_http[0] != '\0') {
		ctl->http = http_create(fupind->cfg->control_http, errs);
		if (ctl->http == NULL)
			goto fail;
	}
	log_info("control: listening on %s%s%s%s%s", ctl->socket_path,
	    ctl->tcp_listener ? ", tcp " : "",
	    ctl->tcp_listener ? fupind->cfg->control_listen : "",
	    ctl->http ? ", http " : "", ctl->http ? fupind->cfg->control_http : "");
	metrics_refresh_start();
	return ctl;
fail:
	control_free(ctl);
	return NULL;
}

void
control_close_listeners(struct control *ctl)
{
	if (ctl->unix_listener) {
		listener_unguard(ctl->unix_listener);
		evconnlistener_free(ctl->unix_listener);
		ctl->unix_listener = NULL;
		unlink(ctl->socket_path);
	}
	if (ctl->tcp_listener) {
		listener_unguard(ctl->tcp_listener);
		evconnlistener_free(ctl->tcp_listener);
		ctl->tcp_listener = NULL;
	}
	http_free(ctl->http);
	ctl->http = NULL;
}

int
control_idle(const struct control *ctl)
{
	for (const struct client *c = ctl->clients; c; c = c->next)
		if (c->busy)
			return 0;
	return 1;
}

size_t
control_nclients(const struct control *ctl)
{
	return ctl->nclients;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	control_close_listeners(ctl);
	metrics_refresh_stop();
	/* Pending token checks point at clients: drop them first. */
	auth_shutdown();
	while (ctl->clients) {
		ctl->clients->busy = 0;
		client_free(ctl->clients);
	}
	while (lingering)
		linger_free(lingering);
	free(ctl->socket_path);
	free(ctl);
}
