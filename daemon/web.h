/*
 * The web pages on the HTTP listener (control.http): /login, /logout,
 * /village/<id> and /township, for the principals and tokens of the
 * access list. A page asks the database through engine_call_sql and a
 * step from a page goes through the command table as ADVANCE, with a
 * client that is not a socket: the same roles, guards, notes and lock,
 * the same audit trail. Nothing here blocks the loop: the page is
 * rendered in the query's callback.
 */
#ifndef FUPIN_WEB_H
#define FUPIN_WEB_H

struct evhttp_request;

/* Serve req if path is a page's (1), else leave it to the caller (0). */
int web_route(struct evhttp_request *req, const char *path);
/* The HTTP server is going away: pending requests are dropped unanswered
 * (libevent frees them) and every session ends. */
void web_shutdown(void);

#endif
