/* resultpub.c -- the result publisher: sends each poll's result when the core's schedule says, and the final ones on stop */
#include "resultpub.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "render.h"

/* Owned by the loop's thread. */
struct resultpub {
	struct core *core;
	struct mqttsession *session;
	struct loop *loop;
	bool quiet;
	int64_t next_ms;      /* when results are due next (monotonic), INT64_MAX: none or offline */
	bool stopping;
	int64_t deadline_ms;  /* when stopping: give up on unpublished results then */
};

/* publish_due: publishes every result that is due at now, and sets
 * p->next_ms to when the next one will be. */
static void publish_due(struct resultpub *p, int64_t now)
{
	struct due_result r;
	int64_t wake = INT64_MAX;
	char err[256], *json;
	int rc;

	if (!p->session || !mqttsession_connected(p->session)) {
		p->next_ms = INT64_MAX; /* the session wakes the loop once subscribed */
		return;
	}
	while ((rc = core_next_result(p->core, now, &r, &wake)) != 0) {
		if (rc < 0)
			continue; /* logged; its timeout retries it */
		json = render_due(&r, err, sizeof(err));
		if (!json) /* its timeout retries it */
			log_line("cannot build %s: %s", r.topic, err);
		else if (mqttsession_publish_result(p->session, &r, json) != 0 && !p->quiet)
			log_line("cannot publish %s now; will retry", r.topic);
		free(json);
		due_result_free(&r);
	}
	p->next_ms = wake;
}

static int prepare(void *ctx, struct loop_fds *set, int64_t now, int64_t *deadline)
{
	struct resultpub *p = ctx;
	int64_t next = p->stopping && p->deadline_ms < p->next_ms ? p->deadline_ms : p->next_ms;

	(void)set;
	(void)now;
	if (next < *deadline)
		*deadline = next;
	return 0;
}

static void dispatch(void *ctx, const struct pollfd *fds, size_t n, int64_t now)
{
	struct resultpub *p = ctx;

	(void)fds;
	(void)n;
	if (loop_signalled(p->loop) && !p->stopping) {
		p->stopping = true;
		p->deadline_ms = now + RESULTPUB_STOP_MS;
		if (!p->quiet)
			log_line(p->session ? "stopping: publishing the final results" : "stopping");
	}
	publish_due(p, now);
	if (!p->stopping)
		return;
	if (!p->session || core_results_pending(p->core) == 0) {
		loop_stop(p->loop, 0);
	} else if (!mqttsession_connected(p->session) || now >= p->deadline_ms) {
		log_line("stopping with results not published (broker unreachable)");
		loop_stop(p->loop, 0);
	}
}

struct resultpub *resultpub_new(struct core *core, struct mqttsession *session, struct loop *loop, bool quiet,
				char *err, size_t errlen)
{
	struct resultpub *p = calloc(1, sizeof(*p));
	struct loop_source src;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*p = (struct resultpub){ core, session, loop, quiet, INT64_MAX, false, 0 };
	src = (struct loop_source){ prepare, dispatch, p };
	if (loop_add(loop, &src, err, errlen) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void resultpub_free(struct resultpub *p)
{
	free(p);
}
