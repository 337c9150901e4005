/* main.c -- tallier: counts ballots from vote/+ and publishes retained results */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "link.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "tallier.h"
#include "topic.h"
#include "version.h"
#include "vtime.h"

#define STOP_PUBLISH_MS 5000 /* on SIGTERM, how long final results may take */
#define DISCONNECT_MS 2000

static struct tallier *signal_target;

static void usage(FILE *out)
{
	fprintf(out,
		"tallier " MQTTVOTE_VERSION " -- count mqtt-vote ballots and publish the results\n"
		"\n"
		"Usage: tallier [-h host] [-p port] [-t filter]... [-i id] [-u username [-P password]]\n"
		"               [-V protocol-version] [--choices a,b,...] [--revote yes|no]\n"
		"               [--db path] [--sync normal|full] [-v] [--quiet]\n"
		"               [--listen [addr:]port [--no-mqtt] [--idle-timeout secs] [--max-clients n]]\n"
		"       tallier --export poll [--format csv|json] [--db path]\n"
		"       tallier --recount [--db path] [--choices a,b,...] [--revote yes|no]\n"
		"       tallier --help | --version\n"
		"\n"
		" -h, --host HOST       broker host (default localhost)\n"
		" -p, --port PORT       broker port (default 1883)\n"
		" -t, --topic FILTER    where ballots come from (default vote/+); repeatable\n"
		" -i, --id ID           MQTT client id, which names the persistent session\n"
		"                       (default tallier): ballots sent while the tallier is\n"
		"                       stopped are delivered when it comes back with this id\n"
		" -u, --username USER   user name for the broker\n"
		" -P, --pw PASSWORD     password for the broker\n"
		" -V, --protocol-version mqttv5|mqttv311  (default mqttv5; 5 and 311 too)\n"
		"     --choices LIST    accept only these choices (comma-separated); all of\n"
		"                       them appear in results, with zero votes too\n"
		"     --revote yes|no   yes (default): a voter's later ballot replaces the\n"
		"                       earlier one; no: the first ballot stands\n"
		"     --db PATH         the SQLite database of the tally (default tally.db);\n"
		"                       one tallier at a time (it locks the file)\n"
		"     --sync MODE       normal (default): a counted ballot survives a crash of\n"
		"                       the tallier; full: a power loss too (fsync per ballot)\n"
		"     --export POLL     print the poll's counted ballots and exit\n"
		"     --format FORMAT   csv (default, with a header) or json, for --export\n"
		"     --recount         recompute every result from the stored ballots, check\n"
		"                       it against SQL's own count, and exit (1 on mismatch)\n"
		"     --listen SPEC     also take ballots over TCP on [ADDR:]PORT (all interfaces\n"
		"                       by default; port 0 picks one): one JSON line each way\n"
		"     --no-mqtt         no broker at all: TCP only (needs --listen)\n"
		"     --idle-timeout S  close TCP clients idle for S seconds (default 30)\n"
		"     --max-clients N   TCP connections at once (default 1000)\n"
		" -v, --verbose         log every ballot\n"
		"     --quiet           log only fatal errors\n"
		"     --help            this text\n"
		"     --version         the version\n"
		"\n"
		"Results are published retained, QoS 1, on vote/<poll>/result:\n"
		"  {\"poll\":..,\"counts\":{..},\"total\":N,\"rejected\":N,\"updated\":\"<ISO 8601>\"}\n"
		"\n"
		"Exit status: 0 stopped by SIGINT or SIGTERM after publishing the final results;\n"
		"1 a fatal error (refused by the broker, out of memory); 2 usage error.\n");
}

bool tallier_changed(struct tallier *t, size_t i)
{
	return pubsched_due(t->sched, i, vtime_mono_ms()) < t->next_wake_ms;
}

void tallier_wake(struct tallier *t)
{
	if (__atomic_exchange_n(&t->wake_pending, 1, __ATOMIC_ACQ_REL) == 0)
		sem_post(&t->wake);
}

void tallier_fail(struct tallier *t)
{
	__atomic_store_n(&t->fatal, 1, __ATOMIC_RELEASE);
	tallier_wake(t);
}

static void on_signal(int sig)
{
	(void)sig;
	if (signal_target) {
		signal_target->stop = 1;
		sem_post(&signal_target->wake); /* async-signal-safe */
	}
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	/* SIGXFSZ: past a file size limit, a failed write the store reports */
	if (sigaction(SIGXFSZ, &sa, NULL) != 0)
		return -1;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* sleep_until: waits for a wake-up, or until wake_ms (monotonic). */
static void sleep_until(struct tallier *t, int64_t wake_ms)
{
	int64_t wait = wake_ms - vtime_mono_ms();
	struct timespec ts;

	if (wait < 0)
		wait = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait / 1000;
	ts.tv_nsec += (wait % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (sem_timedwait(&t->wake, &ts) == 0)
		__atomic_store_n(&t->wake_pending, 0, __ATOMIC_RELEASE);
}

/* publish_due: publishes every result the schedule says is due. Returns
 * when the next one will be due (monotonic ms). */
static int64_t publish_due(struct tallier *t)
{
	char topic[TOPIC_MAX], err[128];
	int64_t wake = INT64_MAX, now;
	uint64_t v;
	char *json;
	long i;

	if (!t->link || !link_connected(t->link))
		return INT64_MAX;
	for (;;) {
		now = vtime_mono_ms();
		pthread_mutex_lock(&t->lock);
		i = pubsched_next(t->sched, now, &wake);
		if (i < 0) {
			pthread_mutex_unlock(&t->lock);
			return wake;
		}
		v = tally_poll_version(t->tally, (size_t)i);
		json = tally_result_json(t->tally, (size_t)i, err, sizeof(err));
		if (topic_result(tally_poll_name(t->tally, (size_t)i), topic, sizeof(topic)) != 0)
			snprintf(topic, sizeof(topic), "vote/?/result");
		/* sent even on failure: the schedule's timeout retries it, no busy loop */
		pubsched_sent(t->sched, (size_t)i, v, now);
		pthread_mutex_unlock(&t->lock);
		if (!json) {
			log_line("cannot build the result of %s: %s", topic, err);
			continue;
		}
		if (link_publish(t->link, topic, json, strlen(json), (size_t)i, v) != 0 && !t->opts.quiet)
			log_line("cannot publish %s now; will retry", topic);
		free(json);
	}
}

static bool all_published(struct tallier *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = pubsched_pending(t->sched);
	pthread_mutex_unlock(&t->lock);
	return n == 0;
}

/* run: the main loop, until a signal or a fatal error. */
static int run(struct tallier *t)
{
	int64_t deadline = 0;
	bool stopping = false;

	for (;;) {
		int64_t wake;

		if (__atomic_load_n(&t->fatal, __ATOMIC_ACQUIRE))
			return 1;
		if (t->stop && !stopping) {
			stopping = true;
			deadline = vtime_mono_ms() + STOP_PUBLISH_MS;
			if (!t->opts.quiet)
				log_line(t->link ? "stopping: publishing the final results" : "stopping");
		}
		wake = publish_due(t);
		if (stopping) {
			if (!t->link || all_published(t))
				return 0;
			if (!link_connected(t->link) || vtime_mono_ms() >= deadline) {
				log_line("stopping with results not published (broker unreachable)");
				return 0;
			}
			if (wake > deadline)
				wake = deadline;
		}
		if (wake > vtime_mono_ms() + 1000)
			wake = vtime_mono_ms() + 1000; /* look again now and then: connection, signals */
		pthread_mutex_lock(&t->lock);
		t->next_wake_ms = wake;
		pthread_mutex_unlock(&t->lock);
		sleep_until(t, wake);
		pthread_mutex_lock(&t->lock);
		t->next_wake_ms = INT64_MAX; /* awake: it will look at everything anyway */
		pthread_mutex_unlock(&t->lock);
	}
}

/* load: opens the store and counts what it holds, scheduling every
 * poll's result, which goes out once connected. Returns 0, or -1. */
static int load(struct tallier *t)
{
	char err[512];
	long n, skipped;
	size_t i;

	t->store = store_open(t->opts.db, STORE_WRITER, t->opts.sync_full ? STORE_SYNC_FULL : STORE_SYNC_NORMAL,
			      err, sizeof(err));
	if (!t->store) {
		log_line("%s", err);
		return -1;
	}
	n = store_load(t->store, t->tally, &skipped, err, sizeof(err));
	if (n < 0) {
		log_line("%s", err);
		return -1;
	}
	for (i = 0; i < tally_poll_count(t->tally); i++) {
		if (pubsched_changed(t->sched, i, tally_poll_version(t->tally, i)) != 0) {
			log_line("out of memory");
			return -1;
		}
	}
	if (skipped)
		log_line("warning: %ld stored ballots have a choice that --choices does not allow: not counted",
			 skipped);
	if (!t->opts.quiet)
		log_line("loaded %ld ballots in %zu polls from %s", n, tally_poll_count(t->tally), t->opts.db);
	return 0;
}

int main(int argc, char **argv)
{
	struct tallier t;
	struct server *server = NULL;
	struct tally_config cfg;
	char err[512];
	int rc = 1;
	bool lock = false, sem = false;

	memset(&t, 0, sizeof(t));
	t.next_wake_ms = INT64_MAX;
	switch (opts_parse(&t.opts, OPTS_TALLIER, argc, argv, err, sizeof(err))) {
	case OPTS_HELP:
		usage(stdout);
		rc = 0;
		goto out;
	case OPTS_VERSION:
		printf("tallier " MQTTVOTE_VERSION "\n");
		rc = 0;
		goto out;
	case OPTS_ERROR:
		fprintf(stderr, "tallier: %s\nUse 'tallier --help' to see usage.\n", err);
		rc = 2;
		goto out;
	case OPTS_RUN:
		break;
	}
	if (t.opts.export_poll) {
		rc = audit_export(&t.opts);
		goto out;
	}
	if (t.opts.recount) {
		rc = audit_recount(&t.opts);
		goto out;
	}
	cfg.choices = (const char *const *)t.opts.choices;
	cfg.nchoices = t.opts.nchoices;
	cfg.revote = t.opts.revote;
	t.tally = tally_new(&cfg, err, sizeof(err));
	t.sched = pubsched_new(RESULT_INTERVAL_MS, RESULT_TIMEOUT_MS);
	if (!t.tally || !t.sched) {
		log_line("%s", t.tally ? "out of memory" : err);
		goto out;
	}
	if (pthread_mutex_init(&t.lock, NULL) != 0) {
		log_line("cannot create a mutex");
		goto out;
	}
	lock = true;
	if (sem_init(&t.wake, 0, 0) != 0) {
		log_line("cannot create a semaphore: %s", strerror(errno));
		goto out;
	}
	sem = true;
	signal_target = &t;
	if (install_signals() != 0) {
		log_line("cannot install signal handlers: %s", strerror(errno));
		goto out;
	}
	if (load(&t) != 0) /* after the handlers: SIGXFSZ must not kill it */
		goto out;
	if (t.opts.listen) {
		server = server_start(&t, t.opts.listen, (int)(t.opts.idle_timeout * 1000), t.opts.max_clients, err,
				      sizeof(err));
		if (!server) {
			log_line("%s", err);
			goto out;
		}
	}
	if (!t.opts.no_mqtt) {
		t.link = link_start(&t, err, sizeof(err));
		if (!t.link) {
			log_line("%s", err);
			goto out;
		}
	}
	rc = run(&t);
out:
	server_stop(server);
	link_stop(t.link, DISCONNECT_MS);
	signal_target = NULL;
	if (sem)
		sem_destroy(&t.wake);
	if (lock)
		pthread_mutex_destroy(&t.lock);
	store_close(t.store);
	pubsched_free(t.sched);
	tally_free(t.tally);
	opts_free(&t.opts);
	return rc;
}
