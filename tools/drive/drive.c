/*
 * fupin-drive: the load generator of scripts/bench. N clients on fupind's
 * status socket, one request in flight each (as pgbench's clients are), in
 * one thread with poll(2), so that the driver costs the machine as little
 * as pgbench does and the comparison is of fupind, not of the driver.
 *
 *   fupin-drive SOCKET CLIENTS SECONDS KIND FIRST LAST
 *
 * KIND: advance (client k proposes households FIRST+k, FIRST+k+CLIENTS, ...
 * up to LAST for exit), status (a random village of FIRST..LAST), household
 * (a random household of FIRST..LAST). Prints "RATE NEXT_FIRST": answers
 * per second, and the first household no client reached. Any answer that
 * is not ok stops the run with exit 1.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DRIVE_MAX_CLIENTS 1024

struct drive_client {
	int fd;
	long next; /* advance: the next household */
	long done;
	unsigned seed;
	char head[256]; /* the start of the current answer */
	size_t len;	/* bytes of it kept in head */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
drive_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "fupin-drive: socket path too long\n");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "fupin-drive: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send the client's next request; 0 when it has none left. */
static int
drive_send(struct drive_client *c, const char *kind, int clients,
    long first, long last)
{
	long pick = first + (long)(rand_r(&c->seed) % (unsigned)(last - first + 1));

	char line[128];
	int n;

	if (strcmp(kind, "advance") == 0) {
		if (c->next > last)
			return 0;
		n = snprintf(line, sizeof(line), "ADVANCE H%07ld exit propose\n",
		    c->next);
		c->next += clients;
	} else if (strcmp(kind, "status") == 0)
		n = snprintf(line, sizeof(line), "STATUS V%04ld\n", pick);
	else
		n = snprintf(line, sizeof(line), "HOUSEHOLD H%07ld\n", pick);
	if (write(c->fd, line, (size_t)n) != n) {
		fprintf(stderr, "fupin-drive: write: %s\n", strerror(errno));
		exit(1);
	}
	return 1;
}

int
main(int argc, char **argv)
{
	static struct drive_client cl[DRIVE_MAX_CLIENTS];
	static struct pollfd pfd[DRIVE_MAX_CLIENTS];
	const char *kind;
	int clients, active = 0;
	double dur, t0, stop;
	long first, last, total = 0, reached = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: fupin-drive SOCKET CLIENTS SECONDS "
				"advance|status|household FIRST LAST\n");
		return 2;
	}
	clients = atoi(argv[2]);
	dur = atof(argv[3]);
	kind = argv[4];
	first = atol(argv[5]);
	last = atol(argv[6]);
	if (clients < 1 || clients > DRIVE_MAX_CLIENTS || dur <= 0 ||
	    first < 0 || last < first ||
	    (strcmp(kind, "advance") != 0 && strcmp(kind, "status") != 0 &&
		strcmp(kind, "household") != 0)) {
		fprintf(stderr, "fupin-drive: bad arguments\n");
		return 2;
	}
	for (int k = 0; k < clients; k++) {
		if ((cl[k].fd = drive_connect(argv[1])) < 0)
			return 1;
		cl[k].next = first + k;
		cl[k].seed = (unsigned)k * 2654435761u + 1;
		pfd[k].fd = cl[k].fd;
		pfd[k].events = POLLIN;
	}
	t0 = now_s();
	stop = t0 + dur;
	for (int k = 0; k < clients; k++)
		if (drive_send(&cl[k], kind, clients, first, last))
			active++;
		else
			pfd[k].fd = -1;
	while (active > 0) {
		int n = poll(pfd, (nfds_t)clients, 1000);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "fupin-drive: poll: %s\n",
			    strerror(errno));
			return 1;
		}
		for (int k = 0; k < clients && n > 0; k++) {
			struct drive_client *c = &cl[k];
			char chunk[65536], *nl;
			ssize_t r;

			if (pfd[k].fd < 0 || pfd[k].revents == 0)
				continue;
			r = read(c->fd, chunk, sizeof(chunk));
			if (r <= 0) {
				fprintf(stderr, "fupin-drive: fupind closed "
						"client %d\n", k);
				return 1;
			}
			/* One answer per request: keep its head, find its end. */
			nl = memchr(chunk, '\n', (size_t)r);
			if (c->len < sizeof(c->head) - 1) {
				size_t take = (size_t)(nl ? nl - chunk : r);

				if (take > sizeof(c->head) - 1 - c->len)
					take = sizeof(c->head) - 1 - c->len;
				memcpy(c->head + c->len, chunk, take);
				c->len += take;
				c->head[c->len] = '\0';
			}
			if (nl == NULL)
				continue;
			if (strstr(c->head, "\"ok\":true") == NULL) {
				fprintf(stderr, "fupin-drive: %s failed: %s\n",
				    kind, c->head);
				return 1;
			}
			c->len = 0;
			c->done++;
			total++;
			if (now_s() >= stop || !drive_send(c, kind, clients, first,
			    last)) {
				pfd[k].fd = -1;
				active--;
			}
		}
	}
	for (int k = 0; k < clients; k++) {
		close(cl[k].fd);
		if (cl[k].next > reached)
			reached = cl[k].next;
	}
	printf("%.0f %ld\n", (double)total / (now_s() - t0), reached);
	return 0;
}
