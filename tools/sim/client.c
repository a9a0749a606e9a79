/*
 * The simulator's side of the status protocol: one Unix-socket connection,
 * one request line out, one JSON line back, like any other client.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"
#include "util.h"

static int sim_fd = -1;
static char *rbuf;
static size_t rlen, rcap;

int
client_connect(const char *path)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy_safe(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "fupin-sim: socket path too long: %s\n", path);
		return -1;
	}
	sim_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sim_fd < 0 ||
	    connect(sim_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "fupin-sim: cannot reach fupind at %s: %s\n",
		    path, strerror(errno));
		if (sim_fd >= 0)
			close(sim_fd);
		sim_fd = -1;
		return -1;
	}
	return 0;
}

void
client_close(void)
{
	if (sim_fd >= 0)
		close(sim_fd);
	sim_fd = -1;
	free(rbuf);
	rbuf = NULL;
	rlen = rcap = 0;
}

/* The next answer line, or NULL when the daemon went away. */
static char *
read_answer(void)
{
	for (;;) {
		char *nl = rlen ? memchr(rbuf, '\n', rlen) : NULL;
		ssize_t n;

		if (nl != NULL) {
			size_t used = (size_t)(nl - rbuf) + 1;
			char *line = xmalloc(used);

			memcpy(line, rbuf, used - 1);
			line[used - 1] = '\0';
			memmove(rbuf, rbuf + used, rlen - used);
			rlen -= used;
			return line;
		}
		if (rlen + 4096 > rcap) {
			rcap = rcap ? rcap * 2 : 65536;
			rbuf = xrealloc(rbuf, rcap);
		}
		n = read(sim_fd, rbuf + rlen, rcap - rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		rlen += (size_t)n;
	}
}

json_t *
client_ask(const char *fmt, ...)
{
	va_list ap;
	char line[4200], *answer;
	int len;
	json_t *j;
	json_error_t jerr;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(line) - 1 || len > 4096) {
		fprintf(stderr, "fupin-sim: request too long\n");
		exit(2);
	}
	line[len++] = '\n';
	if (send_all(sim_fd, line, (size_t)len) < 0 || (answer = read_answer()) ==
	    NULL) {
		fprintf(stderr, "fupin-sim: fupind closed the connection\n");
		exit(2);
	}
	j = json_loads(answer, 0, &jerr);
	if (j == NULL || !json_is_object(j)) {
		fprintf(stderr, "fupin-sim: answer is not JSON: %.200s\n",
		    answer);
		exit(2);
	}
	free(answer);
	return j;
}

int
answer_ok(const json_t *j)
{
	return json_is_true(json_object_get(j, "ok"));
}

const char *
answer_str(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}
