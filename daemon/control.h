/*
 * The status socket: a Unix socket (and optionally a TCP listener) where
 * each client sends one-line requests and gets one-line JSON answers.
 * Clients are bounded in number, line length, output and idle time; a
 * client that misbehaves is cut off without harming the others.
 */
#ifndef FUPIN_CONTROL_H
#define FUPIN_CONTROL_H

#include <sys/socket.h>
#include <sys/types.h>

#include <jansson.h>

#include "fupind.h"
#include "role.h"

#define CTL_MAX_LINE 4096

struct import_upload;

struct client {
	struct bufferevent *bev;
	struct control *ctl;
	uint64_t id;
	uid_t uid;
	int tcp;
	enum role role;
	char *village;	   /* ROLE_VILLAGE: the only village it sees */
	char *principal;   /* who, for the audit trail */
	char *peer;	   /* "uid 1000" or "127.0.0.1:53422" */
	int auth_failures; /* bad AUTH tokens on this connection */
	int busy;	   /* a request is being answered */
	int dead;	   /* disconnected while busy: freed on reply */
	int in_process;
	int quitting;
	const char *verb;  /* of the request in progress, for metrics */
	char *peer_key;	   /* "uid 1000" or "127.0.0.1": per-peer limits */
	char *principal_key; /* with a role: "uid 1000" or "token NAME" */
	struct event *ev_anonymous; /* closes a client without a role */
	struct event *ev_request;   /* the deadline of the request in progress */
	int timed_out;	   /* answered "timeout": drop the late answer */
	/* Not a socket client (a web page's request, web.c): client_reply
	 * hands it the answer (owned) instead of writing a line. */
	void (*answer_to)(struct client *, json_t *answer);
	struct import_upload *upload; /* IMPORT in progress (import.c) */
	struct client *next, *prev;
};

struct control *control_create(struct errlist *);
void control_free(struct control *);
/* Stop accepting clients (graceful stop). */
void control_close_listeners(struct control *);
int control_idle(const struct control *);
size_t control_nclients(const struct control *);
void control_apply_config(struct control *, const struct config *);
/*
 * After a client's role changed (AUTH): a client without a role gets the
 * short control.auth_timeout, one with a role loses it. -1 when its new
 * principal already has control.max_per_user connections: the caller
 * answers busy and closes it.
 */
int control_role_changed(struct client *);

/* The request in progress may take seconds instead of
 * control.request_timeout (IMPORT COMMIT). */
void client_set_deadline(struct client *, int seconds);
/* Answer the request in progress; takes ownership of answer. */
void client_reply(struct client *, json_t *answer);
/* An ok answer that is JSON text already (compact, one line without its
 * newline): sent as it is, without parsing it again. */
void client_reply_ok_text(struct client *, const char *text, size_t len);
void client_error(struct client *, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct sockaddr_storage;
/* Parse the address:port of setting key (addr_parse); a non-loopback
 * address needs control.listen_remote. -1 with errs filled. */
int control_parse_listen(const struct config *, const char *key,
    const char *spec, struct sockaddr_storage *, socklen_t *len,
    struct errlist *);

#endif
