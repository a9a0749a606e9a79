/*
 * fupinctl [-s SOCKET] [-c FILE] [--json] VERB [ARGS...]
 *
 * Sends one request to fupind's status socket and prints the answer for
 * people, or raw with --json. Exit 0 when ok, 1 on an error answer, 2 when
 * it could not ask (usage, no daemon).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libconfig.h>

#include "fupinctl.h"
#include "util.h"

#define DEFAULT_SOCKET "/run/fupin/fupind.sock"
#define DEFAULT_CONFIG FUPIN_SYSCONFDIR "/fupind.conf"
#define MAX_ANSWER (64 * 1024 * 1024)

static void
usage(FILE *out)
{
	fputs("usage: fupinctl [-s SOCKET] [-c FILE] [--json] VERB [ARGS...]\n"
	      "       fupinctl -c FILE import villages|households|members "
	      "FILE.csv\n"
	      "\n"
	      "Asks fupind (see fupinctl(1)). Common verbs:\n"
	      "  status [VILLAGE]          households per workflow and state\n"
	      "  overdue [VILLAGE]         what is late, and since when\n"
	      "  household ID              one household and its history\n"
	      "  advance ID WORKFLOW EVENT [NOTE]\n"
	      "                            record a step (publish, submit...)\n"
	      "  calendar                  the campaign's stages and windows\n"
	      "  alerts [N]                the last alerts sent\n"
	      "  help                      every verb you may use\n"
	      "\n"
	      "  -s SOCKET   the daemon's socket (default: from -c, or "
	      DEFAULT_SOCKET ")\n"
	      "  -c FILE     fupind.conf to read the socket and database from\n"
	      "  --json      print the raw JSON answer, for scripts\n"
	      "Exit status: 0 ok, 1 the daemon refused, 2 could not ask.\n",
	    out);
}

/* control.socket from the configuration file, if it says. */
static char *
socket_from_config(const char *path)
{
	config_t cf;
	const char *s = NULL;
	char *out = NULL;

	config_init(&cf);
	if (config_read_file(&cf, path) == CONFIG_TRUE &&
	    config_lookup_string(&cf, "control.socket", &s) == CONFIG_TRUE)
		out = xstrdup(s);
	config_destroy(&cf);
	return out;
}

static int
connect_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy_safe(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "fupinctl: socket path too long: %s\n", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr,
		    "fupinctl: cannot reach fupind at %s: %s\n"
		    "(is fupind running? try -s SOCKET or -c FILE)\n",
		    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One answer line; caller frees. */
static char *
read_line(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t n;
		char *nl;

		if (len + 1 >= cap) {
			if (cap >= MAX_ANSWER) {
				free(buf);
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			return buf;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *config = NULL;
	char *conf_sock = NULL, *request, *answer_text;
	int json = 0, ch, fd, rc;
	size_t len = 0;
	json_t *answer;
	json_error_t jerr;

	setlocale(LC_CTYPE, "C.UTF-8");
	while ((ch = getopt_long(argc, argv, "+s:c:jhV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("fupinctl %s\n", FUPIN_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_CANNOT_ASK;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_CANNOT_ASK;
	}
	if (strcasecmp(argv[0], "import") == 0)
		return import_main(config ? config : DEFAULT_CONFIG, argc, argv,
		    json);

	if (sock == NULL && (sock = getenv("FUPIN_SOCKET")) == NULL) {
		conf_sock = socket_from_config(config ? config :
		    DEFAULT_CONFIG);
		sock = conf_sock ? conf_sock : DEFAULT_SOCKET;
	}
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	request = xmalloc(len + 1);
	request[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (strchr(argv[i], '\n') != NULL) {
			fprintf(stderr, "fupinctl: arguments cannot hold a "
					"newline\n");
			return EXIT_CANNOT_ASK;
		}
		strcat(request, argv[i]);
		strcat(request, i + 1 < argc ? " " : "\n");
	}
	if (len > 4096) {
		fprintf(stderr, "fupinctl: request longer than 4096 bytes\n");
		return EXIT_CANNOT_ASK;
	}
	fd = connect_socket(sock);
	free(conf_sock);
	if (fd < 0) {
		free(request);
		return EXIT_CANNOT_ASK;
	}
	if (write_all(fd, request, strlen(request)) < 0 ||
	    (answer_text = read_line(fd)) == NULL) {
		fprintf(stderr, "fupinctl: the daemon closed the connection "
				"without an answer\n");
		free(request);
		close(fd);
		return EXIT_CANNOT_ASK;
	}
	free(request);
	close(fd);
	answer = json_loads(answer_text, 0, &jerr);
	if (answer == NULL || !json_is_object(answer)) {
		fprintf(stderr, "fupinctl: the daemon's answer is not JSON: "
				"%.200s\n",
		    answer_text);
		free(answer_text);
		return EXIT_CANNOT_ASK;
	}
	rc = json_is_true(json_object_get(answer, "ok")) ? EXIT_OK :
							   EXIT_ANSWER_ERROR;
	if (json)
		printf("%s\n", answer_text);
	else
		output_answer(rc == EXIT_OK ? stdout : stderr, argv[0], answer,
		    isatty(rc == EXIT_OK ? 1 : 2));
	free(answer_text);
	json_decref(answer);
	return rc;
}
