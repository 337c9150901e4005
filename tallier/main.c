/* main.c -- tallier: counts ballots from vote/+ and publishes retained results */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkpointer.h"
#include "clock.h"
#include "core.h"
#include "log.h"
#include "loop.h"
#include "mqttsession.h"
#include "resultpub.h"
#include "roll.h"
#include "tcpserver.h"
#include "tlsctx.h"
#include "cmdline.h"
#include "version.h"

#define DISCONNECT_MS 2000

/* main.c only wires the parts together: the core, the one event loop on
 * this thread, and the transports around them (see docs/design.md, "Layout"). */

static struct loop *signal_loop; /* atomic: set before the handlers are installed, NULL once freed */

static void usage(FILE *out)
{
	fprintf(out,
		"tallier " MQTTVOTE_VERSION " -- count mqtt-vote ballots and publish the results\n"
		"\n"
		"Usage: tallier [-h host] [-p port] [-t filter]... [-i id] [-u username [-P password]]\n"
		"               [-V protocol-version] [--choices a,b,...] [--revote yes|no]\n"
		"               [--db path] [--sync normal|full] [-v] [--quiet]\n"
		"               [--max-polls n] [--max-choices n] [--max-skew secs] [--roll file]\n"
		"               [--defined-only]\n"
		"               [--listen [addr:]port [--no-mqtt] [--idle-timeout secs] [--max-clients n]\n"
		"                [--max-per-address n] [--line-timeout secs]]\n"
		"               [{--cafile file | --capath dir} [--cert file --key file] [--insecure]\n"
		"                [--tls-version tlsv1.2|tlsv1.3]]\n"
		"       tallier --export poll [--format csv|json] [--db path]\n"
		"       tallier --recount [--db path] [--choices a,b,...] [--revote yes|no]\n"
		"       tallier --help | --version\n"
		"\n"
		" -h, --host HOST       broker host (default localhost)\n"
		" -p, --port PORT       broker port (default 1884: the shipped mosquitto.conf's\n"
		"                       loopback listener, where the tallier has its rights;\n"
		"                       8883 with TLS)\n"
		" -t, --topic FILTER    where ballots come from (default vote/+ and\n"
		"                       vote/+/by/+); repeatable; vote/<x>/result is watched too\n"
		" -i, --id ID           MQTT client id, which names the persistent session:\n"
		"                       ballots sent while the tallier is stopped are delivered\n"
		"                       when it comes back with this id (default: tallier- and\n"
		"                       32 random hex digits, made once and kept in --db, so\n"
		"                       that nobody can guess it and take the session)\n"
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
		"     --max-clients N   TCP connections at once (default 1000; at most what the\n"
		"                       descriptor limit allows)\n"
		"     --max-per-address N  TCP connections from one address (default 64)\n"
		"     --line-timeout S  a TCP request line must arrive whole within S seconds\n"
		"                       (default 10)\n"
		"     --max-polls N     polls nobody defined kept; a ballot for one more is\n"
		"                       rejected (default 1000); polls pollctl opens are not counted\n"
		"     --max-choices N   different choices per poll nobody defined (default 64)\n"
		"     --max-skew S      a ballot whose ts is more than S seconds ahead of the\n"
		"                       tallier's clock is rejected (default 5); no bound in\n"
		"                       the past: a ballot queued for hours still counts\n"
		"     --defined-only    count ballots only for polls an organiser opened with\n"
		"                       pollctl (others are rejected)\n"
		"     --roll FILE       count only ballots signed by a voter on this roll: one\n"
		"                       '<voter name> <public key>' line each (voter --keygen)\n"
		" -v, --verbose         log every ballot\n"
		"     --quiet           log only fatal errors\n"
		"     --help            this text\n"
		"     --version         the version\n"
		"\n"
		TLSOPTS_USAGE
		"\n"
		"Results are published retained, QoS 1, on vote/<poll>/result:\n"
		"  {\"poll\":..,\"counts\":{..},\"total\":N,\"rejected\":N,\"updated\":\"<ISO 8601>\"}\n"
		"\n"
		"Exit status: 0 stopped by SIGINT or SIGTERM after publishing the final results;\n"
		"1 a fatal error (refused by the broker, a broker certificate that does not\n"
		"verify, out of memory); 2 usage error.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	struct loop *l = __atomic_load_n(&signal_loop, __ATOMIC_ACQUIRE);

	if (l)
		loop_signal(l); /* async-signal-safe: an atomic store and a write */
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

static void wake_loop(void *arg)
{
	loop_wake(arg);
}

int main(int argc, char **argv)
{
	struct tallier_opts o;
	struct core *core = NULL;
	struct loop *loop = NULL;
	struct tcpserver *server = NULL;
	struct mqttsession *session = NULL;
	struct resultpub *pub = NULL;
	struct roll *roll = NULL;
	struct core_config cc;
	char err[512], client_id[CORE_CLIENT_ID_SIZE];
	int rc = 1;

	if (cmdline_ends(tallier_opts_parse(&o, argc, argv, err, sizeof(err)), "tallier", usage, err, &rc))
		goto out;
	if (o.export_poll) {
		rc = audit_export(&o);
		goto out;
	}
	if (o.recount) {
		rc = audit_recount(&o);
		goto out;
	}
	loop = loop_new(err, sizeof(err));
	if (!loop) {
		log_line("%s", err);
		goto out;
	}
	__atomic_store_n(&signal_loop, loop, __ATOMIC_RELEASE);
	if (install_signals() != 0) {
		log_line("cannot install signal handlers: %s", strerror(errno));
		goto out;
	}
	if (o.roll) {
		roll = roll_load(o.roll, err, sizeof(err));
		if (!roll) {
			log_line("%s", err);
			goto out;
		}
		if (!o.quiet)
			log_line("roll %s: %zu voters; only their signed ballots count", o.roll, roll_count(roll));
	}
	cc = (struct core_config){ .db = o.db, .sync_full = o.sync_full,
				   .choices = (const char *const *)o.choices, .nchoices = o.nchoices,
				   .revote = o.revote, .max_polls = (size_t)o.max_polls,
				   .max_choices = (size_t)o.max_choices, .max_skew_ms = (int64_t)(o.max_skew * 1000),
				   .defined_only = o.defined_only, .quiet = o.quiet, .verbose = o.verbose, .roll = roll,
				   .wake = wake_loop, .wake_arg = loop };
	core = core_open(&cc, err, sizeof(err)); /* after the handlers: SIGXFSZ must not kill it */
	if (!core) {
		log_line("%s", err);
		goto out;
	}
	if (o.listen) {
		struct tcpserver_config tc = { .spec = o.listen, .idle_ms = (int)(o.idle_timeout * 1000 + 0.5),
					       .line_ms = (int)(o.line_timeout * 1000 + 0.5),
					       .max_clients = o.max_clients, .max_per_address = o.max_per_address,
					       .quiet = o.quiet, .verbose = o.verbose };

		server = tcpserver_new(&tc, core, loop, err, sizeof(err));
		if (!server) {
			log_line("%s", err);
			goto out;
		}
	}
	if (!o.no_mqtt) {
		struct mqttsession_config mc = { o.conn.host, o.conn.port, o.conn.client_id, o.conn.username, o.conn.password,
						 o.conn.mqtt_version, o.topics, o.ntopics, o.quiet, &o.conn.tls };

		if (tlsopts_on(&o.conn.tls) && tlsctx_check_files(&o.conn.tls, err, sizeof(err)) != 0) {
			log_line("%s", err);
			goto out;
		}
		if (tlsopts_on(&o.conn.tls) && o.verbose && tlsctx_fallback(err, sizeof(err)))
			log_line("%s", err);
		if (!o.conn.client_id) {
			if (core_client_id(core, client_id, sizeof(client_id), err, sizeof(err)) != 0) {
				log_line("%s", err);
				goto out;
			}
			mc.client_id = client_id;
		}
		session = mqttsession_new(&mc, core, loop, err, sizeof(err));
		if (!session) {
			log_line("%s", err);
			goto out;
		}
	}
	/* the clock before the publisher: what it changes goes out at once */
	if (clock_add(loop, core, err, sizeof(err)) != 0) {
		log_line("%s", err);
		goto out;
	}
	pub = resultpub_new(core, session, loop, o.quiet, err, sizeof(err));
	if (!pub || checkpointer_add(loop, core, err, sizeof(err)) != 0 ||
	    (session && mqttsession_start(session, err, sizeof(err)) != 0)) {
		log_line("%s", err);
		goto out;
	}
	rc = loop_run(loop);
out:
	mqttsession_free(session, DISCONNECT_MS); /* first: Paho's threads use the core */
	resultpub_free(pub);
	tcpserver_free(server);
	core_free(core);
	roll_free(roll); /* after the core, which borrows it */
	__atomic_store_n(&signal_loop, NULL, __ATOMIC_RELEASE);
	loop_free(loop);
	tallier_opts_free(&o);
	return rc;
}
