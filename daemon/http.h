/*
 * The optional HTTP listener (control.http): GET /metrics in the
 * Prometheus text format and GET /healthz, 200 while the database is up
 * and its schema current, 503 otherwise. libevent's own HTTP server; no
 * other paths, no other methods.
 */
#ifndef FUPIN_HTTP_H
#define FUPIN_HTTP_H

struct config;
struct errlist;
struct http;

/* Listen on "address:port"; NULL with errs filled. */
struct http *http_create(const char *spec, struct errlist *errs);
void http_free(struct http *);
/* control.http_max_clients (on start and reload). */
void http_apply_config(struct http *, const struct config *);

#endif
