/* audit.h -- tallier --export and --recount: the stored ballots, read without a broker */
#ifndef MQTTVOTE_AUDIT_H
#define MQTTVOTE_AUDIT_H

#include "tallieropts.h"

/* audit_export: prints the stored ballots of o->export_poll from o->db on
 * stdout, as CSV with a header (voter,choice,id,ts) or, with --format
 * json, as a JSON array of ballots in their wire format. Returns the exit
 * status: 0, or 1 after printing the error on stderr. */
int audit_export(const struct tallier_opts *o);

/* audit_recount: recomputes every poll's result from the stored ballots
 * (as the tallier does at start) and checks it against counts made
 * directly by SQL; prints one line per poll, "<poll> OK <result JSON>" or
 * "<poll> MISMATCH ...". Returns the exit status: 0 when every poll
 * matches, 1 otherwise or on error. */
int audit_recount(const struct tallier_opts *o);

#endif
