/*
 * fupinctl [-s SOCKET | -a ADDRESS:PORT] [-c FILE] [--json] VERB [ARGS...]
 *
 * Sends one request to fupind's status socket (or its TCP listener, with
 * the token of FUPIN_TOKEN or --token-file) and prints the answer for
 * people, or raw with --json. Exit 0 when ok, 1 on an error answer, 2 when
 * it could not ask (usage, no daemon, a refused token).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netdb.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "fupinctl.h"
#include "settings.h"
#include "util.h"

#define MAX_ANSWER (64 * 1024 * 1024)
#define DEFAULT_TIMEOUT 30

int ctl_timeout = DEFAULT_TIMEOUT;
/* Where the daemon is: -a, else -s, $FUPIN_SOCKET or -c's socket. */
static const char *ctl_address, *ctl_socket, *ctl_token_file;

/* Connecting, sending and reading the answer take at most -T seconds: a
 * daemon that hangs (or a full listen queue) never hangs a script. */
static void
timeout_handler(int sig)
{
	static const char msg[] = "fupinctl: no answer from fupind in time "
				  "(-T SECONDS)\n";
	ssize_t n = write(2, msg, sizeof(msg) - 1);

	(void)n;
	(void)sig;
	_exit(EXIT_CANNOT_ASK);
}

static int
parse_timeout(const char *s, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < 1 || n > 86400)
		return -1;
	*out = (int)n;
	return 0;
}

static void
usage(FILE *out)
{
	fputs("usage: fupinctl [-s SOCKET | -a ADDRESS:PORT] [-c FILE] [--json] "
	      "VERB [ARGS...]\n"
	      "       fupinctl [-s SOCKET | -c FILE] import "
	      "villages|households|members FILE.csv|FILE.xlsx|FILE.xls "
	      "[--sheet NAME]\n"
	      "       fupinctl [-s SOCKET | -c FILE] report [VILLAGE] "
	      "[--html FILE] [--csv FILE] [--summary]\n"
	      "       fupinctl new-token\n"
	      "\n"
	      "Asks fupind, the campaign daemon (see fupinctl(1)). Verbs, in "
	      "any case:\n"
	      "  status [VILLAGE]          households per workflow and state, "
	      "overdue, next deadline\n"
	      "  overdue [VILLAGE]         households that missed a deadline\n"
	      "  household ID              one household: procedures and "
	      "history\n"
	      "  advance ID WORKFLOW EVENT [NOTE]\n"
	      "                            record a step, e.g. "
	      "advance H0101 exit publish\n"
	      "  calendar                  the campaign's stages, windows, "
	      "tasks\n"
	      "  alerts [N]                the last N alerts\n"
	      "  help [VERB]               every verb your role may use, or "
	      "one verb's usage\n"
	      "  help advance [HOUSEHOLD]  the workflows and their events, or "
	      "what a household\n"
	      "                            may do now\n"
	      "  member HOUSEHOLD add|remove ...\n"
	      "                            a birth, marriage or death in a household\n"
	      "  problems [VILLAGE]        the data-quality problem list (analyze: run it)\n"
	      "  list KIND [VILLAGE] [--format csv|html|xlsx] [-o FILE]\n"
	      "                            a document: village-notice, township-notice,\n"
	      "                            exit-request, inclusion, marginal, monitoring, problems\n"
	      "  tables [VILLAGE] [--format html|xlsx|csv] [-o DIR]\n"
	      "                            the verification tables (对照表), a household a page\n"
	      "  ping, now, metrics, extend, clock, config (see help)\n"
	      "\n"
	      "A village team: `fupinctl overdue` lists your late households; "
	      "`fupinctl household ID`\n"
	      "shows where one stands; `fupinctl advance ID exit publish` "
	      "records the next step.\n"
	      "\n"
	      "  -s SOCKET    the daemon's Unix socket (default: $FUPIN_SOCKET, "
	      "else from -c,\n"
	      "               else ",
	    out);
	fputs(settings_table[SET_CONTROL_SOCKET].def, out);
	fputs(")\n"
	      "  -a ADDR:PORT the daemon's TCP listener; the token is read "
	      "from $FUPIN_TOKEN\n"
	      "               or --token-file FILE\n"
	      "  -c FILE      fupind.conf to read the socket (and for import "
	      "columns.conf) from\n"
	      "  --json       print the raw JSON answer, for scripts\n"
	      "  -T SECONDS   give up when no answer came in time (default "
	      "30; $FUPIN_TIMEOUT)\n"
	      "  -V, -h       version, this help\n"
	      "Colour only on a terminal, never with NO_COLOR set.\n"
	      "Exit status: 0 ok, 1 the daemon refused (error answer), 2 could "
	      "not ask.\n",
	    out);
}

int
ctl_settings(const char *path, int quiet, struct settings *set)
{
	struct errlist errs;
	int rc = 0;

	errlist_init(&errs);
	if (settings_load(set, path, &errs) < 0 && !quiet &&
	    (strcmp(path, DEFAULT_CONFIG) != 0 || access(path, F_OK) == 0)) {
		/* Only the unreadable or unparsable file: see fupinctl.h. */
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "fupinctl: %s\n", errs.items[i]);
		settings_free(set);
		rc = -1;
	}
	errlist_free(&errs);
	return rc;
}

static int
connect_socket(const char *path)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (addr_unix(path, &sun, &len) < 0) {
		fprintf(stderr, "fupinctl: socket path too long: %s\n", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len) < 0) {
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

/* A TCP connection to "host:port" (IPv6 as "[::1]:7070"). */
static int
connect_tcp(const char *spec)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], port[32];
	int fd = -1, rc;

	if (addr_split(spec, host, sizeof(host), port, sizeof(port)) < 0) {
		fprintf(stderr, "fupinctl: -a wants ADDRESS:PORT, not %s\n",
		    spec);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "fupinctl: %s: %s\n", spec, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (fd < 0)
		fprintf(stderr, "fupinctl: cannot reach fupind at %s: %s\n",
		    spec, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* The token for -a: --token-file, else $FUPIN_TOKEN (never an argument,
 * which every user could read in ps). Caller frees. */
static char *
read_token(const char *file)
{
	char buf[1024];
	FILE *f;
	size_t n;

	if (file == NULL) {
		const char *t = getenv("FUPIN_TOKEN");

		return t && *t ? xstrdup(t) : NULL;
	}
	if ((f = fopen(file, "r")) == NULL) {
		fprintf(stderr, "fupinctl: %s: %s\n", file, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? xstrdup(buf) : NULL;
}

#define CTL_MAX_PAGE_ANSWER (64 * 1024 * 1024)

json_t *
ctl_ask_page(int fd, FILE *in, const char *req)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	json_t *a;

	if (send_all(fd, req, strlen(req)) < 0 ||
	    (n = getline(&line, &cap, in)) <= 0 || n > CTL_MAX_PAGE_ANSWER ||
	    line[n - 1] != '\n') {
		free(line);
		fprintf(stderr, "fupinctl: the daemon closed the connection "
				"without an answer\n");
		return NULL;
	}
	line[n - 1] = '\0';
	a = json_loads(line, 0, NULL);
	free(line);
	if (a == NULL || !json_is_object(a)) {
		json_decref(a);
		fprintf(stderr, "fupinctl: the daemon's answer is not JSON\n");
		return NULL;
	}
	return a;
}

/* One answer line; caller frees. */
char *
ctl_read_line(int fd)
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

/* AUTH with the token before the request; -1 (said why) if refused. */
static int
authenticate(int fd, const char *token_file)
{
	char *token = read_token(token_file), *line, *answer;
	json_t *j;
	int ok;

	if (token == NULL) {
		fprintf(stderr, "fupinctl: -a needs a token: set FUPIN_TOKEN "
				"or give --token-file FILE\n");
		return -1;
	}
	if (strpbrk(token, " \t\n") != NULL) {
		fprintf(stderr, "fupinctl: a token is one word\n");
		free(token);
		return -1;
	}
	line = xasprintf("AUTH %s\n", token);
	explicit_bzero(token, strlen(token));
	free(token);
	/* A refused connection's one-line answer (busy) may be waiting even
	 * when sending failed: read it either way. */
	(void)send_all(fd, line, strlen(line));
	if ((answer = ctl_read_line(fd)) == NULL) {
		explicit_bzero(line, strlen(line));
		free(line);
		fprintf(stderr, "fupinctl: the daemon closed the connection "
				"during AUTH\n");
		return -1;
	}
	explicit_bzero(line, strlen(line));
	free(line);
	j = json_loads(answer, 0, NULL);
	ok = j != NULL && json_is_true(json_object_get(j, "ok"));
	if (!ok)
		fprintf(stderr, "fupinctl: the token was refused: %s\n",
		    j && json_string_value(json_object_get(j, "message")) ?
			json_string_value(json_object_get(j, "message")) :
			answer);
	json_decref(j);
	free(answer);
	return ok ? 0 : -1;
}

int
ctl_connect(void)
{
	int fd;

	signal(SIGALRM, timeout_handler);
	alarm((unsigned)ctl_timeout);
	fd = ctl_address ? connect_tcp(ctl_address) : connect_socket(ctl_socket);
	if (fd >= 0 && ctl_address != NULL &&
	    authenticate(fd, ctl_token_file) < 0) {
		close(fd);
		fd = -1;
	}
	alarm(0);
	return fd;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "address", required_argument, NULL, 'a' },
		{ "token-file", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *config = NULL, *address = NULL,
		   *token_file = NULL;
	struct settings conf;
	char *conf_sock = NULL, *request, *answer_text;
	int json = 0, ch, fd, rc, colour;
	size_t len = 0;
	json_t *answer;
	json_error_t jerr;

	setlocale(LC_CTYPE, "C.UTF-8");
	if (getenv("FUPIN_TIMEOUT") != NULL &&
	    parse_timeout(getenv("FUPIN_TIMEOUT"), &ctl_timeout) < 0) {
		fprintf(stderr, "fupinctl: FUPIN_TIMEOUT wants seconds, 1 to "
				"86400\n");
		return EXIT_CANNOT_ASK;
	}
	while ((ch = getopt_long(argc, argv, "+s:c:a:t:T:jhV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'a':
			address = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'T':
			if (parse_timeout(optarg, &ctl_timeout) < 0) {
				fprintf(stderr, "fupinctl: -T wants seconds, "
						"1 to 86400\n");
				return EXIT_CANNOT_ASK;
			}
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
	if (strcasecmp(argv[0], "new-token") == 0)
		return token_main(argc, argv);

	if (address == NULL && sock == NULL &&
	    (sock = getenv("FUPIN_SOCKET")) == NULL) {
		/* Quiet: an unreadable file leaves the daemon's default. */
		ctl_settings(config ? config : DEFAULT_CONFIG, 1, &conf);
		conf_sock = xstrdup(conf.v[SET_CONTROL_SOCKET].s);
		settings_free(&conf);
		sock = conf_sock;
	}
	ctl_address = address;
	ctl_socket = sock;
	ctl_token_file = token_file;
	if (strcasecmp(argv[0], "import") == 0) {
		/* It connects once the file's header is good. */
		rc = import_main(config ? config : DEFAULT_CONFIG, argc, argv,
		    json);
		free(conf_sock);
		return rc;
	}
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	request = xmalloc(len + 1);
	request[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (strchr(argv[i], '\n') != NULL) {
			fprintf(stderr, "fupinctl: arguments cannot hold a "
					"newline\n");
			free(request);
			free(conf_sock);
			return EXIT_CANNOT_ASK;
		}
		strcat(request, argv[i]);
		strcat(request, i + 1 < argc ? " " : "\n");
	}
	if (len > 4096) {
		fprintf(stderr, "fupinctl: request longer than 4096 bytes\n");
		free(request);
		free(conf_sock);
		return EXIT_CANNOT_ASK;
	}
	signal(SIGALRM, timeout_handler);
	alarm((unsigned)ctl_timeout);
	fd = address ? connect_tcp(address) : connect_socket(sock);
	free(conf_sock);
	if (fd < 0) {
		free(request);
		return EXIT_CANNOT_ASK;
	}
	if (address != NULL && authenticate(fd, token_file) < 0) {
		free(request);
		close(fd);
		return EXIT_CANNOT_ASK;
	}
	if (strcasecmp(argv[0], "list") == 0 || strcasecmp(argv[0], "tables") == 0) {
		free(request);
		rc = docs_main(fd, argc, argv);
		close(fd);
		return rc;
	}
	if (strcasecmp(argv[0], "report") == 0) {
		free(request);
		rc = report_main(fd, argc, argv);
		close(fd);
		return rc;
	}
	(void)send_all(fd, request, strlen(request));
	if ((answer_text = ctl_read_line(fd)) == NULL) {
		fprintf(stderr, "fupinctl: the daemon closed the connection "
				"without an answer\n");
		free(request);
		close(fd);
		return EXIT_CANNOT_ASK;
	}
	alarm(0);
	free(request);
	close(fd);
	answer = json_loads(answer_text, 0, &jerr);
	if (answer == NULL || !json_is_object(answer)) {
		fprintf(stderr, "fupinctl: the daemon's answer is not JSON: "
				"%.200s\n",
		    answer_text);
		free(answer_text);
		json_decref(answer);
		return EXIT_CANNOT_ASK;
	}
	rc = json_is_true(json_object_get(answer, "ok")) ? EXIT_OK :
							   EXIT_ANSWER_ERROR;
	/* Colour for a person at a terminal who has not said NO_COLOR. */
	colour = isatty(rc == EXIT_OK ? 1 : 2) &&
	    (getenv("NO_COLOR") == NULL || getenv("NO_COLOR")[0] == '\0') &&
	    (getenv("TERM") == NULL || strcmp(getenv("TERM"), "dumb") != 0);
	if (json)
		printf("%s\n", answer_text);
	else
		output_answer(rc == EXIT_OK ? stdout : stderr, argv[0], answer,
		    colour);
	free(answer_text);
	json_decref(answer);
	return rc;
}
