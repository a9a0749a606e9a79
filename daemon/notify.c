/*
 * Delivering alerts (see notify.h).
 *
 * An alert leaves the outbox in groups, three statements per group rather
 * than per alert:
 *
 *   claim   fupin.alert_claim: up to notify.batch due alerts in one
 *           statement (FOR UPDATE SKIP LOCKED, attempts + 1), each with a
 *           lease long enough for the commands queued before it here to
 *           run (notify.concurrency at once, each at most notify.timeout)
 *           and its own, plus a margin;
 *   run     the commands, at most notify.concurrency at once, in claim
 *           order, as child processes watched by the event loop; a claimed
 *           alert whose lease would not cover its command any more (the
 *           loop was held up, the concurrency lowered) is released instead;
 *   record  fupin.alert_record: the results that came in while the
 *           previous record statement ran, in one statement (one record
 *           statement in flight at a time, so the group grows with the
 *           database's commit time).
 *
 * The next claim is sent while the commands of the last one still run
 * (when fewer than notify.concurrency wait to start), so commands do not
 * wait for the database. Results not yet recorded are kept across a lost
 * connection and sent again (recording is idempotent). A crash between
 * the command's success and its record leaves the lease to expire and the
 * alert to be offered again: delivery is at least once, and the alert's
 * stable "id" lets a receiver drop the rare repeat. Two living daemons
 * never run one alert's command at once: a lease is only taken over once
 * it has run out, and a daemon never starts a command its lease does not
 * cover. Everything before the command (the sweep that made the alert) is
 * exactly once.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "calendar.h"
#include "db.h"
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

/* A claimed alert waiting for a free slot. */
struct queued {
	long long alert_id;
	int attempts;	/* the claim's: alert_record checks it */
	double start_by; /* monotonic seconds: its lease covers a start by then */
	char *input;	/* the JSON the command reads */
	struct queued *next;
};

/* A result not yet recorded. */
struct result {
	long long alert_id;
	int attempts;
	const char *outcome; /* "ok", "fail", "release" (static strings) */
	char *error;
	double delay;
};

static struct event *ev_sigchld, *ev_retry, *ev_hours;
static struct child *children;
static int nchildren;
static struct queued *queue_head, *queue_tail;
static int nqueued;
static struct result *results;
static size_t nresults, results_cap;
static size_t recording; /* results[0 .. recording) are being recorded */
static int claiming, record_busy, record_failed;
static int more = 1; /* the last claim was full: there may be more due */
static char who[128];

static void pump(void);

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static void
queued_free(struct queued *q)
{
	free(q->input);
	free(q);
}

void
notify_free(void)
{
	struct child *ch;
	struct queued *q;

	while ((ch = children) != NULL) {
		children = ch->next;
		kill(-ch->pid, SIGKILL);
		waitpid(ch->pid, NULL, 0);
		child_free(ch);
	}
	while ((q = queue_head) != NULL) {
		queue_head = q->next;
		queued_free(q);
	}
	queue_tail = NULL;
	nqueued = 0;
	for (size_t i = 0; i < nresults; i++)
		free(results[i].error);
	free(results);
	results = NULL;
	nresults = results_cap = recording = 0;
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
	/* Results that cannot be recorded (no database, or it refused the
	 * last try) do not hold up a stop: their leases expire and the alerts
	 * are offered again. */
	return nchildren == 0 && nqueued == 0 && !claiming && !record_busy &&
	    (nresults == 0 || record_failed ||
		db_state(fupind->db_bg) != DB_UP);
}

void
notify_db_down(void)
{
	/* Every statement sent was answered (with an error) before the
	 * connection was reported down; what is not recorded is kept. */
	more = 1;
}

void
notify_stop(void)
{
	pump();
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

/* A PostgreSQL array element: NULL, or the text quoted. */
static void
array_add_text(struct evbuffer *b, const char *s)
{
	if (s == NULL) {
		evbuffer_add(b, "NULL", 4);
		return;
	}
	evbuffer_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			evbuffer_add(b, "\\", 1);
		evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\"", 1);
}

static void record_flush(void);
static void record_soon(void);

static void
record_done(const PGresult *res, const char *err, void *arg)
{
	size_t n = recording;
	double retry = -1;

	record_busy = 0;
	recording = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		/* Kept, and sent again with the next results or after the
		 * reconnection (the record is idempotent); if this daemon dies
		 * first, the leases expire: nothing is lost. */
		log_warnx("notify: cannot record %zu delivery results: %s", n,
		    res ? PQresultErrorMessage(res) : err);
		record_failed = 1;
		return;
	}
	record_failed = 0;
	log_debug("notify: recorded %zu delivery results", n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(results[i].outcome, "fail") == 0 &&
		    (retry < 0 || results[i].delay < retry))
			retry = results[i].delay;
		free(results[i].error);
	}
	memmove(results, results + n, (nresults - n) * sizeof(*results));
	nresults -= n;
	/* Armed only now that next_attempt_at (the database's now() plus
	 * the delay) is written: armed earlier, the timer could fire before
	 * that moment, find nothing to claim, and the retry would stall. */
	if (retry >= 0)
		retry_in(retry);
	record_soon();
	pump();
}

/* Send the results not yet recorded, in one statement, unless one is in
 * flight (they go with the next). */
static void
record_flush(void)
{
	struct evbuffer *b[5];
	const char *params[6];

	if (record_busy || nresults == 0 ||
	    db_state(fupind->db_bg) != DB_UP)
		return;
	for (int k = 0; k < 5; k++)
		if ((b[k] = evbuffer_new()) == NULL) {
			log_warnx("notify: out of memory; results kept");
			while (k-- > 0)
				evbuffer_free(b[k]);
			return;
		}
	for (size_t i = 0; i < nresults; i++) {
		const char *sep = i ? "," : "{";

		evbuffer_add_printf(b[0], "%s%lld", sep, results[i].alert_id);
		evbuffer_add_printf(b[1], "%s%d", sep, results[i].attempts);
		evbuffer_add_printf(b[2], "%s%s", sep, results[i].outcome);
		evbuffer_add(b[3], sep, 1);
		array_add_text(b[3], results[i].error);
		evbuffer_add_printf(b[4], "%s%.3f", sep, results[i].delay);
	}
	params[0] = who;
	for (int k = 0; k < 5; k++) {
		evbuffer_add(b[k], "}", 2); /* with its NUL */
		params[k + 1] = (const char *)evbuffer_pullup(b[k], -1);
		if (params[k + 1] == NULL) {
			log_warnx("notify: out of memory; results kept");
			goto done;
		}
	}
	if (db_query(fupind->db_bg,
		"SELECT fupin.alert_record($1, $2::bigint[], $3::int[], "
		"$4::text[], $5::text[], $6::float8[])",
		6, params, record_done, NULL) == 0) {
		record_busy = 1;
		recording = nresults;
	}
done:
	for (int k = 0; k < 5; k++)
		evbuffer_free(b[k]);
}

/*
 * Record the results now, unless a record statement is in flight: then
 * they go with the next, so the group grows with the database's commit
 * time. (Holding results back to make bigger groups was tried: each
 * result held is one more repeat when the daemon is killed.)
 */
static void
record_soon(void)
{
	record_flush();
}

static void
result_add(long long id, int attempts, const char *outcome,
    const char *error, double delay)
{
	struct result *r;

	if (nresults == results_cap) {
		results_cap = results_cap ? results_cap * 2 : 64;
		results = xrealloc(results, results_cap * sizeof(*results));
	}
	r = &results[nresults++];
	r->alert_id = id;
	r->attempts = attempts;
	r->outcome = outcome;
	r->error = error ? xstrdup(error) : NULL;
	r->delay = delay;
}

static void
record_result(long long id, int ok, const char *error, int attempts)
{
	if (ok) {
		metrics_count("alerts_delivered", NULL, 1);
		result_add(id, attempts, "ok", NULL, 0);
	} else {
		double d = backoff(attempts);

		metrics_count("alerts_failed", NULL, 1);
		log_warnx("notify: alert %lld not delivered (%s); retry in "
			  "%.1fs",
		    id, error, d);
		result_add(id, attempts, "fail", error, d);
		/* Not recorded (no database): try again at the delay
		 * anyway; the claim finds it once its lease is gone. */
		if (db_state(fupind->db_bg) != DB_UP)
			retry_in(d);
	}
	record_soon();
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
	pump();
}

/* Run the command of q (its input is taken over). */
static void
spawn(struct queued *q)
{
	struct child *ch;
	struct timeval tv = { (time_t)fupind->cfg->notify_timeout, 0 };
	int pipefd[2], outfd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		log_warn("notify: pipe");
		record_result(q->alert_id, 0, "cannot create a pipe",
		    q->attempts);
		return;
	}
	if (pipe2(outfd, O_CLOEXEC) < 0) {
		log_warn("notify: pipe");
		close(pipefd[0]);
		close(pipefd[1]);
		record_result(q->alert_id, 0, "cannot create a pipe",
		    q->attempts);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("notify: fork");
		close(pipefd[0]);
		close(pipefd[1]);
		close(outfd[0]);
		close(outfd[1]);
		record_result(q->alert_id, 0, "cannot fork", q->attempts);
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
	ch->alert_id = q->alert_id;
	ch->attempts = q->attempts;
	ch->fd = pipefd[1];
	ch->input = q->input;
	q->input = NULL;
	ch->len = strlen(ch->input);
	ch->ev_write = event_new(fupind->base, ch->fd, EV_WRITE, write_cb, ch);
	ch->ev_timeout = evtimer_new(fupind->base, timeout_cb, ch);
	event_add(ch->ev_write, NULL);
	evtimer_add(ch->ev_timeout, &tv);
	ch->next = children;
	children = ch;
	nchildren++;
}

/* A claimed alert: logged, then delivered by the command in its turn, or
 * at once (syslog and NOTIFY are the delivery) when there is none. */
static void
claimed(json_t *alert, double now)
{
	long long id = (long long)json_integer_value(json_object_get(alert,
	    "id"));
	int attempts = (int)json_integer_value(json_object_get(alert,
	    "attempts"));
	double lease = json_number_value(json_object_get(alert, "lease"));
	const char *kind = json_string_value(json_object_get(alert, "kind"));
	struct queued *q;
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
	json_object_del(alert, "lease");
	if (fupind->cfg->notify_command[0] == '\0') {
		record_result(id, 1, NULL, attempts);
		return;
	}
	text = json_dumps(alert, JSON_COMPACT);
	q = xcalloc(1, sizeof(*q));
	q->alert_id = id;
	q->attempts = attempts;
	/* The lease runs from the database's now() at the claim, a little
	 * before this: it covers a start up to LEASE_MARGIN / 2 after the
	 * moment the claim promised, and a command of notify.timeout. */
	q->start_by = now + lease - (double)fupind->cfg->notify_timeout -
	    LEASE_MARGIN / 2.0;
	q->input = xasprintf("%s\n", text);
	free(text);
	if (queue_tail)
		queue_tail->next = q;
	else
		queue_head = q;
	queue_tail = q;
	nqueued++;
}

static void
claim_done(const PGresult *res, const char *err, void *arg)
{
	int asked = (int)(intptr_t)arg, n = 0;
	double now = mono_now();

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
		n++;
		if ((a = json_loads(PQgetvalue(res, i, 0), 0, &jerr)) != NULL) {
			claimed(a, now);
			json_decref(a);
		}
	}
	more = n >= asked;
	if (n > 0)
		log_debug("notify: claimed %d alerts (asked %d), %d queued, "
			  "%d running", n, asked, nqueued, nchildren);
	pump();
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

/* Claim more alerts when the queue is about to run dry. */
static void
claim_more(void)
{
	const struct config *cfg = fupind->cfg;
	int conc = (int)cfg->notify_concurrency;
	int held = nqueued + nchildren;
	int n = (int)cfg->notify_batch;
	int64_t when;
	char sn[32], lease[32], step[32], per[32], ahead[32];
	const char *params[7] = { who, sn, lease, step, per, ahead,
		ALERTS_LANGUAGE_NAME(cfg) };

	if (claiming || !more || nqueued >= conc)
		return;
	if (n > conc + (int)cfg->notify_batch - held)
		n = conc + (int)cfg->notify_batch - held;
	if (n <= 0)
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
	snprintf(sn, sizeof(sn), "%d", n);
	snprintf(lease, sizeof(lease), "%lld",
	    (long long)cfg->notify_timeout + LEASE_MARGIN);
	snprintf(step, sizeof(step), "%lld", (long long)cfg->notify_timeout);
	snprintf(per, sizeof(per), "%d", conc);
	snprintf(ahead, sizeof(ahead), "%d", held);
	/* The claimed alerts, and one more row: in how many seconds the
	 * next alert that cannot be claimed now (waiting for its retry, or
	 * leased by a daemon that may have died) can be. The claim moves
	 * neither moment, so the statement's snapshot is good for it. */
	if (db_query(fupind->db_bg,
		"SELECT x::text, NULL FROM fupin.alert_claim($1, $2::int, "
		"$3::int, $4::int, $5::int, $6::int, $7) AS x "
		"UNION ALL "
		"SELECT NULL, extract(epoch FROM least("
		"min(next_attempt_at) FILTER (WHERE next_attempt_at > now()), "
		"min(claimed_until) FILTER (WHERE claimed_until > now())) - "
		"now())::text "
		"FROM fupin.alert WHERE delivered_at IS NULL",
		7, params, claim_done, (void *)(intptr_t)n) == 0)
		claiming = 1;
}

/*
 * Start what waits, as slots free up; claim more. A daemon that stops or
 * no longer leads starts nothing more and releases what it holds.
 */
static void
pump(void)
{
	int lead = fupind->schema_ok && !fupind->stopping && leader_is();
	double now = mono_now();
	struct queued *q;

	while ((q = queue_head) != NULL &&
	    (!lead || nchildren < (int)fupind->cfg->notify_concurrency)) {
		queue_head = q->next;
		if (queue_head == NULL)
			queue_tail = NULL;
		nqueued--;
		if (!lead)
			result_add(q->alert_id, q->attempts, "release", NULL, 0);
		else if (now > q->start_by) {
			log_warnx("notify: alert %lld: its lease would not "
				  "cover the command any more; released",
			    q->alert_id);
			result_add(q->alert_id, q->attempts, "release", NULL, 0);
		} else
			spawn(q);
		queued_free(q);
	}
	record_soon();
	if (lead)
		claim_more();
}

void
notify_kick(void)
{
	more = 1;
	pump();
}
