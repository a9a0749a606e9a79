/*
 * Delivering alerts (see notify.h).
 *
 * An alert leaves the outbox in three steps, each its own statement:
 * claim (attempts + 1, a lease of notify.timeout plus a margin), run the
 * command, then mark it delivered or schedule its retry. A crash between
 * the command's success and the mark leaves the lease to expire and the
 * alert to be offered again: delivery is at least once, and the alert's
 * stable "id" lets a receiver drop the rare repeat. Everything before the
 * command (the sweep that made the alert) is exactly once.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "calendar.h"
#include "campaign.h"
#include "fupind.h"
#include "isotime.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"

#define LEASE_MARGIN 30 /* seconds beyond notify.timeout */
/* A command's output (stdout and stderr) goes to our log, but only its
 * first NOTIFY_OUTPUT_KEEP bytes: the rest is read, counted and dropped,
 * so a chatty or hostile command cannot fill the log. */
#define NOTIFY_OUTPUT_KEEP 4096

struct child {
	pid_t pid; /* also its process group: a timeout kills all it started */
	long long alert_id;
	int attempts; /* including this one, from the claim */
	char *input;
	size_t len, off;
	int fd;
	struct event *ev_write;
	struct event *ev_timeout;
	int timed_out;
	int out_fd;		/* its stdout and stderr, or -1 */
	struct event *ev_out;
	char out[NOTIFY_OUTPUT_KEEP];
	size_t out_len;
	unsigned long long out_cut; /* bytes beyond NOTIFY_OUTPUT_KEEP */
	struct child *next;
};

/* Read what the command wrote so far (until it would block). */
static void
output_drain(struct child *ch)
{
	char buf[16384];
	ssize_t n;

	while (ch->out_fd >= 0) {
		n = read(ch->out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			event_free(ch->ev_out);
			ch->ev_out = NULL;
			close(ch->out_fd);
			ch->out_fd = -1;
			return;
		}
		size_t keep = sizeof(ch->out) - ch->out_len;

		if (keep > (size_t)n)
			keep = (size_t)n;
		memcpy(ch->out + ch->out_len, buf, keep);
		ch->out_len += keep;
		ch->out_cut += (size_t)n - keep;
	}
}

static void
output_cb(evutil_socket_t fd, short what, void *arg)
{
	output_drain(arg);
}

/* Log what was kept, a line at a time, and how much was cut. */
static void
output_log(struct child *ch)
{
	char *p, *end;

	output_drain(ch);
	p = ch->out;
	end = ch->out + ch->out_len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > 0)
			log_info("notify: alert %lld: %.*s", ch->alert_id,
			    (int)len, p);
		p += len + 1;
	}
	if (ch->out_cut > 0)
		log_notice("notify: alert %lld: %llu more bytes of the "
			   "command's output not logged (kept the first %d)",
		    ch->alert_id, ch->out_cut, NOTIFY_OUTPUT_KEEP);
}

static struct event *ev_sigchld, *ev_retry, *ev_hours;
static struct child *children;
static int nchildren, claiming, marking;
static char who[128];

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_kick();
}

static void sigchld_cb(evutil_socket_t, short, void *);

void
notify_init(void)
{
	char host[64] = "?";

	gethostname(host, sizeof(host) - 1);
	snprintf(who, sizeof(who), "%s:%d", host, (int)getpid());
	ev_sigchld = evsignal_new(fupind->base, SIGCHLD, sigchld_cb, NULL);
	evsignal_add(ev_sigchld, NULL);
	ev_retry = evtimer_new(fupind->base, retry_cb, NULL);
	ev_hours = evtimer_new(fupind->base, retry_cb, NULL);
}

static void
child_free(struct child *ch)
{
	if (ch->ev_write)
		event_free(ch->ev_write);
	if (ch->ev_timeout)
		event_free(ch->ev_timeout);
	if (ch->fd >= 0)
		close(ch->fd);
	if (ch->ev_out)
		event_free(ch->ev_out);
	if (ch->out_fd >= 0)
		close(ch->out_fd);
	free(ch->input);
	free(ch);
}

void
notify_free(void)
{
	struct child *ch;

	while ((ch = children) != NULL) {
		children = ch->next;
		kill(-ch->pid, SIGKILL);
		waitpid(ch->pid, NULL, 0);
		child_free(ch);
	}
	if (ev_sigchld)
		event_free(ev_sigchld);
	if (ev_retry)
		event_free(ev_retry);
	if (ev_hours)
		event_free(ev_hours);
}

int
notify_idle(void)
{
	return nchildren == 0 && !claiming && marking == 0;
}

void
notify_db_down(void)
{
	claiming = 0;
	marking = 0;
}

/* Real seconds to wait after the n-th failed attempt: 1, 2, 4, ... capped
 * at notify.retry_max, +-25% so that retries of many alerts spread out. */
static double
backoff(int attempts)
{
	double d = 1.0;

	for (int i = 1; i < attempts && d < fupind->cfg->notify_retry_max; i++)
		d *= 2;
	if (d > fupind->cfg->notify_retry_max)
		d = (double)fupind->cfg->notify_retry_max;
	return d * (0.75 + (random() % 1000) / 2000.0);
}

/* Wake up for the next retry in d real seconds, unless already due to
 * wake up earlier. */
static void
retry_in(double d)
{
	struct timeval tv = { (time_t)d,
		(suseconds_t)((d - (double)(time_t)d) * 1e6) };
	struct timeval now, at, pending;

	if (evtimer_pending(ev_retry, &pending)) {
		event_base_gettimeofday_cached(fupind->base, &now);
		evutil_timeradd(&now, &tv, &at);
		if (evutil_timercmp(&pending, &at, <=))
			return;
	}
	evtimer_add(ev_retry, &tv);
}

static void
mark_done(const PGresult *res, const char *err, void *arg)
{
	double *retry = arg;

	marking--;
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warnx("notify: cannot record a delivery result: %s",
		    res ? PQresultErrorMessage(res) : err);
	/* Armed only now that next_attempt_at (the database's now() plus
	 * the delay) is written: armed earlier, the timer could fire before
	 * that moment, find nothing to claim, and the retry would stall. */
	if (retry != NULL) {
		retry_in(*retry);
		free(retry);
	}
	notify_kick();
}

static void
record_result(long long id, int ok, const char *error, int attempts)
{
	char idbuf[32], delay[32];
	const char *params[3] = { idbuf, error, delay };
	int r;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	if (ok) {
		metrics_count("alerts_delivered", NULL, 1);
		r = db_query(fupind->db_bg,
		    "UPDATE fupin.alert SET delivered_at = now(), "
		    "claimed_until = NULL, last_error = NULL "
		    "WHERE alert_id = $1::bigint AND delivered_at IS NULL",
		    1, params, mark_done, NULL);
	} else {
		double d = backoff(attempts);
		double *retry = xcalloc(1, sizeof(*retry));

		*retry = d;
		metrics_count("alerts_failed", NULL, 1);
		snprintf(delay, sizeof(delay), "%.3f", d);
		log_warnx("notify: alert %lld not delivered (%s); retry in "
			  "%.1fs",
		    id, error, d);
		r = db_query(fupind->db_bg,
		    "UPDATE fupin.alert SET claimed_until = NULL, "
		    "last_error = $2, next_attempt_at = now() + "
		    "make_interval(secs => $3::double precision) "
		    "WHERE alert_id = $1::bigint AND delivered_at IS NULL",
		    3, params, mark_done, retry);
		if (r != 0) {
			/* Not sent: try again at the delay anyway. */
			retry_in(d);
			free(retry);
		}
	}
	/* Lost connection: the lease expires and the alert is offered
	 * again, so nothing is lost. */
	if (r == 0)
		marking++;
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *ch = arg;
	ssize_t n = write(ch->fd, ch->input + ch->off, ch->len - ch->off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		event_add(ch->ev_write, NULL);
		return;
	}
	if (n > 0) {
		ch->off += (size_t)n;
		if (ch->off < ch->len) {
			event_add(ch->ev_write, NULL);
			return;
		}
	}
	/* Done, or the command does not read: either way close stdin. */
	close(ch->fd);
	ch->fd = -1;
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *ch = arg;

	ch->timed_out = 1;
	kill(-ch->pid, SIGKILL);
}

static void
child_exited(struct child *ch, int status)
{
	char why[96];
	int ok = !ch->timed_out && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;

	if (ch->timed_out)
		snprintf(why, sizeof(why), "timed out after %llds",
		    (long long)fupind->cfg->notify_timeout);
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "exit status %d",
		    WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "killed by signal %d",
		    WTERMSIG(status));
	if (ok)
		log_info("notify: alert %lld delivered", ch->alert_id);
	record_result(ch->alert_id, ok, ok ? NULL : why, ch->attempts);
}

static void
sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct child **pp, *ch;

		for (pp = &children; (ch = *pp) != NULL; pp = &ch->next)
			if (ch->pid == pid)
				break;
		if (ch == NULL)
			continue;
		*pp = ch->next;
		nchildren--;
		output_log(ch);
		child_exited(ch, status);
		child_free(ch);
	}
}

static void
spawn(long long id, const char *json_text, int attempts)
{
	struct child *ch;
	struct timeval tv = { (time_t)fupind->cfg->notify_timeout, 0 };
	int pipefd[2], outfd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		log_warn("notify: pipe");
		record_result(id, 0, "cannot create a pipe", attempts);
		return;
	}
	if (pipe2(outfd, O_CLOEXEC) < 0) {
		log_warn("notify: pipe");
		close(pipefd[0]);
		close(pipefd[1]);
		record_result(id, 0, "cannot create a pipe", attempts);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("notify: fork");
		close(pipefd[0]);
		close(pipefd[1]);
		close(outfd[0]);
		close(outfd[1]);
		record_result(id, 0, "cannot fork", attempts);
		return;
	}
	if (pid == 0) {
		/* The child: its own process group, stdin from the pipe,
		 * default signals, a shell. */
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		dup2(pipefd[0], 0);
		dup2(outfd[1], 1);
		dup2(outfd[1], 2);
		execl("/bin/sh", "sh", "-c", fupind->cfg->notify_command,
		    (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with a kill at once */
	close(pipefd[0]);
	close(outfd[1]);
	fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
	fcntl(outfd[0], F_SETFL, O_NONBLOCK);
	ch = xcalloc(1, sizeof(*ch));
	ch->out_fd = outfd[0];
	ch->ev_out = event_new(fupind->base, ch->out_fd, EV_READ | EV_PERSIST,
	    output_cb, ch);
	event_add(ch->ev_out, NULL);
	ch->pid = pid;
	ch->alert_id = id;
	ch->attempts = attempts;
	ch->fd = pipefd[1];
	ch->input = xasprintf("%s\n", json_text);
	ch->len = strlen(ch->input);
	ch->ev_write = event_new(fupind->base, ch->fd, EV_WRITE, write_cb, ch);
	ch->ev_timeout = evtimer_new(fupind->base, timeout_cb, ch);
	event_add(ch->ev_write, NULL);
	evtimer_add(ch->ev_timeout, &tv);
	ch->next = children;
	children = ch;
	nchildren++;
}

static void
deliver(json_t *alert)
{
	long long id = (long long)json_integer_value(json_object_get(alert,
	    "id"));
	int attempts = (int)json_integer_value(json_object_get(alert,
	    "attempts"));
	const char *kind = json_string_value(json_object_get(alert, "kind"));
	char *text;

	metrics_count("alerts_sent", kind ? kind : "?", 1);
	log_notice("alert %lld %s level %lld %s village %s households %lld%s: "
		   "%s",
	    id, kind, (long long)json_integer_value(json_object_get(alert,
		"level")),
	    json_string_value(json_object_get(alert, "deadline")),
	    json_string_value(json_object_get(alert, "village")),
	    (long long)json_integer_value(json_object_get(alert, "count")),
	    json_is_true(json_object_get(alert, "late")) ? " (late)" : "",
	    json_string_value(json_object_get(alert, "text")));
	json_object_del(alert, "delivered_at");
	json_object_del(alert, "attempts");
	if (fupind->cfg->notify_command[0] == '\0') {
		/* Syslog and NOTIFY were the delivery. */
		record_result(id, 1, NULL, attempts);
		return;
	}
	text = json_dumps(alert, JSON_COMPACT);
	spawn(id, text, attempts);
	free(text);
}

static void
claim_done(const PGresult *res, const char *err, void *arg)
{
	int n = 0;

	claiming = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("notify: cannot claim alerts: %s",
		    res ? PQresultErrorMessage(res) : err);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		json_error_t jerr;
		json_t *a;

		if (PQgetisnull(res, i, 0)) {
			/* The row saying when the next alert becomes
			 * claimable: a retry, or a crashed daemon's lease. */
			if (!PQgetisnull(res, i, 1))
				retry_in(atof(PQgetvalue(res, i, 1)) + 0.05);
			continue;
		}
		if ((a = json_loads(PQgetvalue(res, i, 0), 0, &jerr)) != NULL) {
			n++;
			deliver(a);
			json_decref(a);
		}
	}
	if (n > 0)
		notify_kick();
}

/*
 * Inside working hours on a working day, or no limit configured: 0.
 * Otherwise the next moment deliveries may start.
 */
static int64_t
next_working_moment(int64_t now)
{
	const struct config *cfg = fupind->cfg;
	struct cal *cal = fupind->campaign->cal;
	int64_t day = cal_day(cal, now);
	int64_t offset = (int64_t)cal_offset(cal) * 60;
	int minute = (int)(((now + offset) % 86400 + 86400) % 86400 / 60);

	if (cfg->work_from == cfg->work_to)
		return 0;
	if (cal_is_working_day(cal, day) && minute >= cfg->work_from &&
	    minute < cfg->work_to)
		return 0;
	if (!cal_is_working_day(cal, day) || minute >= cfg->work_to)
		day++;
	for (int i = 0; i < 60 && !cal_is_working_day(cal, day); i++)
		day++;
	return day * 86400 - offset + (int64_t)cfg->work_from * 60;
}

void
notify_kick(void)
{
	int64_t when;
	int room = (int)fupind->cfg->notify_concurrency - nchildren;
	char n[32], lease[32];
	const char *params[4] = { who, n, lease, ALERTS_LANGUAGE_NAME(fupind->cfg) };

	if (!fupind->schema_ok || fupind->stopping || claiming || room <= 0 ||
	    !leader_is())
		return;
	when = next_working_moment(clock_now(fupind->clock));
	if (when != 0) {
		double d = clock_real_delay(fupind->clock, when);

		if (d >= 0) {
			struct timeval tv = { (time_t)d, 0 };
			evtimer_add(ev_hours, &tv);
		}
		return; /* a manual clock kicks us after every CLOCK */
	}
	snprintf(n, sizeof(n), "%d", room);
	snprintf(lease, sizeof(lease), "%lld",
	    (long long)fupind->cfg->notify_timeout + LEASE_MARGIN);
	/* The claimed alerts, and one more row: in how many seconds the
	 * next alert that cannot be claimed now (waiting for its retry, or
	 * leased by a daemon that may have died) can be. The claim moves
	 * neither moment, so the statement's snapshot is good for it. */
	if (db_query(fupind->db_bg,
		"SELECT x::text, NULL FROM fupin.alert_claim($1, $2::int, "
		"$3::int, $4) AS x "
		"UNION ALL "
		"SELECT NULL, extract(epoch FROM least("
		"min(next_attempt_at) FILTER (WHERE next_attempt_at > now()), "
		"min(claimed_until) FILTER (WHERE claimed_until > now())) - "
		"now())::text "
		"FROM fupin.alert WHERE delivered_at IS NULL",
		4, params, claim_done, NULL) == 0)
		claiming = 1;
}
