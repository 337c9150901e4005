/* test_sign.c -- unit tests of sign: key files, the canonical signed bytes, signing and verifying */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ballot.h"
#include "sign.h"
#include "testkit.h"

#define ID "0123456789abcdef0123456789abcdef"
#define TS 1700000000000LL
#define INST "00112233445566778899aabbccddeeff" /* a poll instance */
#define INST2 "00112233445566778899aabbccddeef0" /* a later poll of the same name */

/* RFC 8032's first test key (secret 9d61b19d...7f60), as PEM PKCS#8, and
 * its public key; SIG_P1 is its signature of the canonical bytes of
 * ballot_p1(), made by an independent implementation (Python's
 * cryptography 38), so that these bytes and this code agree with it. */
#define RFC_PEM "-----BEGIN PRIVATE KEY-----\n" \
		"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n" \
		"-----END PRIVATE KEY-----\n"
#define RFC_PUB "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define SIG_P1 "sbr9wB6KbzFyUJbd7f5MJvXKhT/pOKubabE2HyyccnzrZ3PCyyViyLYQmDOKXjyp4BYjR0hNgv7Fjc76XMMMBA=="
#define MSG_P1 "mqtt-vote ballot v2\0" "2:p1,32:" INST ",5:alice,3:yes,32:" ID ",13:1700000000000,"

/* issue 21: the v3 bytes of one ballot of each other kind (docs/contract.md,
 * "Question kinds"), and the RFC key's signature of each, made by Python's
 * cryptography over the bytes it builds from the contract
 * (tests/integration/test_signed.py, PY_SIGNER's canonical, checks SIG_RANKED
 * again). The ranked ballot's second name is sent decomposed: signed as sent. */
#define MSG_MULTIPLE "mqtt-vote ballot v3\0" "2:p1,32:" INST ",5:alice,8:multiple,8:1:b,1:a,,32:" ID ",13:1700000000000,"
#define MSG_RANKED "mqtt-vote ballot v3\0" "2:p1,32:" INST ",5:alice,6:ranked,23:4:Lyon,6:cafe\xcc\x81,4:Nice,,32:" ID \
		   ",13:1700000000000,"
#define MSG_SCALE "mqtt-vote ballot v3\0" "2:p1,32:" INST ",5:alice,5:scale,2:-3,32:" ID ",13:1700000000000,"
#define SIG_MULTIPLE "ux8ybvBPGG1YaGjZSVFrwuCSWuN2BZN1gI083l5qFJ831GG//dPD7xktNwrcRH8qKRClZVmLq9XmCAZraT52Bg=="
#define SIG_RANKED "1QYwPxps1xEgWovqwK/LcTbyJ2oY1LDsdeVRVuOKg8V++xX+iaw3EElNKK7F1COox5/Tx7dqty0/1b1HweuoCA=="
#define SIG_SCALE "iV6JF08symEaste6NK17ClfIC4yCuQuHvawz90Ij5Rc7Z+Fbmciyg00kH9vTPrq3e0Fvrt+t0tpl8hKrJANODA=="
#define JSON_RANKED "{\"poll\":\"p1\",\"voter\":\"alice\",\"ranking\":[\"Lyon\",\"cafe\\u0301\",\"Nice\"],\"id\":\"" ID \
		    "\",\"ts\":1700000000000,\"sig\":\"" SIG_RANKED "\"}"

#define TOO_OPEN_644 "permissions 0644 for '%s' are too open: the key must be readable by its owner only (chmod 600)"

/* with_instance: b, to be signed for the poll instance inst. */
static struct ballot with_instance(struct ballot b, const char *inst)
{
	snprintf(b.instance, sizeof(b.instance), "%s", inst);
	b.has_instance = true;
	return b;
}

static struct ballot ballot_p1(void)
{
	return with_instance(mk("p1", "alice", "yes", ID, TS), INST);
}

/* write_file: path gets text, with mode. */
static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* rfc_key: the RFC 8032 key, loaded from a 0600 file in the scratch directory. */
static struct sign_key *rfc_key(const struct fixture *f)
{
	char path[256], err[256] = "";
	struct sign_key *k;

	snprintf(path, sizeof(path), "%s/rfc.pem", f->dir);
	write_file(path, RFC_PEM, 0600);
	k = sign_key_load(path, err, sizeof(err));
	if (!k)
		fail_msg("sign_key_load: %s", err);
	return k;
}

static struct sign_pub *pub_of(const char *b64)
{
	char err[256] = "";
	struct sign_pub *p = sign_pub_parse(b64, err, sizeof(err));

	if (!p)
		fail_msg("sign_pub_parse: %s", err);
	return p;
}

/* ---- the canonical bytes ---- */

static void sign_message_should_give_the_readme_bytes_for_a_fixed_ballot(void **state)
{
	struct ballot b = ballot_p1();
	unsigned char buf[SIGN_MSG_MAX];
	char err[128] = "";
	int len;

	(void)state;
	len = sign_message(&b, INST, buf, sizeof(buf), err, sizeof(err));
	assert_int_equal(len, (int)sizeof(MSG_P1) - 1);
	assert_memory_equal(buf, MSG_P1, sizeof(MSG_P1) - 1);
}

static void sign_message_should_count_utf8_bytes_and_write_ts_zero_as_0(void **state)
{
	struct ballot b = mk("p.1", "Jos\xc3\xa9 ,:x", "\xe2\x9c\x93", ID, 0);
	static const char want[] = "mqtt-vote ballot v2\0" "3:p.1,32:" INST ",9:Jos\xc3\xa9 ,:x,3:\xe2\x9c\x93,32:" ID
				   ",1:0,";
	unsigned char buf[SIGN_MSG_MAX];
	char err[128] = "";

	(void)state;
	assert_int_equal(sign_message(&b, INST, buf, sizeof(buf), err, sizeof(err)), (int)sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
}

static void sign_message_should_fit_the_largest_ballot_in_sign_msg_max(void **state)
{
	static const char s64[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl";
	struct ballot b = mk(s64, s64, s64, ID, BALLOT_TS_MAX);
	unsigned char buf[SIGN_MSG_MAX];
	char err[128] = "";

	(void)state;
	assert_int_equal(sign_message(&b, INST, buf, sizeof(buf), err, sizeof(err)), 20 + 3 * 68 + 2 * 36 + 20);
	assert_int_equal(20 + 3 * 68 + 2 * 36 + 20, 316);
	assert_int_equal(sign_message(&b, INST, buf, 100, err, sizeof(err)), -1);
	assert_string_equal(err, "internal error: the signed bytes do not fit in 100 bytes");
}

static void sign_message_should_refuse_a_ballot_without_id_or_ts(void **state)
{
	struct ballot no_id = mk("p1", "alice", "yes", NULL, TS), no_ts = mk("p1", "alice", "yes", ID, -1);
	unsigned char buf[SIGN_MSG_MAX];
	char err[128] = "";

	(void)state;
	assert_int_equal(sign_message(&no_id, INST, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_string_equal(err, "signed ballot without 'id'");
	assert_int_equal(sign_message(&no_ts, INST, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_string_equal(err, "signed ballot without 'ts'");
}

static void sign_message_should_refuse_no_instance_or_one_that_is_not_32_lower_case_hex(void **state)
{
	static const char *const bad[] = { NULL, "", "00112233445566778899AABBCCDDEEFF",
					   "00112233445566778899aabbccddeef", "00112233445566778899aabbccddeeff0",
					   "00112233445566778899aabbccddeefg" };
	struct ballot b = ballot_p1();
	unsigned char buf[SIGN_MSG_MAX];
	char err[128] = "";
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		err[0] = '\0';
		assert_int_equal(sign_message(&b, bad[k], buf, sizeof(buf), err, sizeof(err)), -1);
		assert_string_equal(err, "no poll instance to sign for");
	}
	assert_true(sign_instance_valid(INST));
	assert_false(sign_instance_valid(bad[2]));
}

static void sign_message_should_differ_for_two_instances_of_one_poll(void **state)
{
	struct ballot b = ballot_p1();
	unsigned char one[SIGN_MSG_MAX], two[SIGN_MSG_MAX];
	char err[128] = "";
	int n1, n2;

	(void)state;
	n1 = sign_message(&b, INST, one, sizeof(one), err, sizeof(err));
	n2 = sign_message(&b, INST2, two, sizeof(two), err, sizeof(err));
	assert_int_equal(n1, n2);
	assert_memory_not_equal(one, two, (size_t)n1);
}

/* ---- signing and verifying ---- */

static void sign_ballot_should_match_the_independent_implementation(void **state)
{
	struct sign_key *k = rfc_key(*state);
	struct ballot b = ballot_p1();
	char err[128] = "", pub[SIGN_KEY_B64 + 1];

	assert_int_equal(sign_ballot(k, &b, err, sizeof(err)), 0);
	assert_true(b.has_sig);
	assert_string_equal(b.sig, SIG_P1);
	assert_int_equal(sign_key_public(k, pub, err, sizeof(err)), 0);
	assert_string_equal(pub, RFC_PUB);
	sign_key_free(k);
}

static void sign_verify_should_accept_the_signature_and_refuse_any_changed_field(void **state)
{
	struct sign_key *k = rfc_key(*state);
	struct sign_pub *p = pub_of(RFC_PUB);
	struct ballot b = ballot_p1(), t;
	char err[128] = "";

	assert_int_equal(sign_ballot(k, &b, err, sizeof(err)), 0);
	assert_int_equal(sign_verify(p, &b, INST, err, sizeof(err)), 0);
	for (int field = 0; field < 7; field++) {
		const char *inst = INST;

		t = b;
		switch (field) {
		case 6: inst = INST2; break; /* replayed into a later poll of the same name */
		case 0: strcpy(t.poll, "p2"); break; /* replayed on another poll */
		case 1: strcpy(t.voter, "alicf"); break;
		case 2: strcpy(t.choice, "no"); break;
		case 3: t.id[31] = 'e'; break;
		case 4: t.ts++; break;
		case 5: t.sig[0] = t.sig[0] == 'A' ? 'B' : 'A'; break;
		}
		err[0] = '\0';
		assert_int_equal(sign_verify(p, &t, inst, err, sizeof(err)), -1);
		assert_string_equal(err, "bad signature");
	}
	sign_pub_free(p);
	sign_key_free(k);
}

static void sign_verify_should_check_the_bytes_sent_before_nfc(void **state)
{
	/* a client that signs and sends a decomposed name: the tallier counts
	 * the NFC form and verifies over the bytes sent */
	struct sign_key *k = rfc_key(*state);
	struct sign_pub *p = pub_of(RFC_PUB);
	struct ballot sent = with_instance(mk("p1", "Rene\xcc\x81", "caf\xc3\xa9", ID, TS), INST), got;
	char err[256] = "", *json;

	assert_int_equal(sign_ballot(k, &sent, err, sizeof(err)), 0);
	json = ballot_to_json(&sent, NULL, err, sizeof(err));
	assert_non_null(json);
	assert_int_equal(ballot_parse("p1", json, strlen(json), &got, NULL, err, sizeof(err)), 0);
	assert_string_equal(got.voter, "Ren\xc3\xa9");
	assert_int_equal(sign_verify(p, &got, INST, err, sizeof(err)), 0);
	/* the same ballot with its name composed by a relay: not what was signed */
	snprintf(got.voter_sent, sizeof(got.voter_sent), "%s", "");
	assert_int_equal(sign_verify(p, &got, INST, err, sizeof(err)), -1);
	assert_string_equal(err, "bad signature");
	free(json);
	sign_pub_free(p);
	sign_key_free(k);
}

static void sign_verify_should_refuse_a_signature_by_another_key(void **state)
{
	struct fixture *f = *state;
	struct sign_key *k = rfc_key(f);
	struct sign_pub *other;
	struct ballot b = ballot_p1();
	char err[128] = "", path[256], pub[SIGN_KEY_B64 + 1];

	snprintf(path, sizeof(path), "%s/other.pem", f->dir);
	assert_int_equal(sign_keygen(path, pub, err, sizeof(err)), 0);
	other = pub_of(pub);
	assert_int_equal(sign_ballot(k, &b, err, sizeof(err)), 0);
	assert_int_equal(sign_verify(other, &b, INST, err, sizeof(err)), -1);
	assert_string_equal(err, "bad signature");
	sign_pub_free(other);
	sign_key_free(k);
}

static void sign_verify_should_name_an_unsigned_ballot_and_a_missing_ts(void **state)
{
	struct sign_pub *p = pub_of(RFC_PUB);
	struct ballot b = ballot_p1();
	char err[128] = "";

	(void)state;
	assert_int_equal(sign_verify(p, &b, INST, err, sizeof(err)), -1);
	assert_string_equal(err, "unsigned ballot");
	b = with_instance(mk("p1", "alice", "yes", ID, -1), INST);
	strcpy(b.sig, SIG_P1);
	b.has_sig = true;
	assert_int_equal(sign_verify(p, &b, INST, err, sizeof(err)), -1);
	assert_string_equal(err, "signed ballot without 'ts'");
	sign_pub_free(p);
}

static void sign_verify_should_refuse_a_non_canonical_base64_signature(void **state)
{
	struct sign_pub *p = pub_of(RFC_PUB);
	struct ballot b = ballot_p1();
	char err[128] = "";

	(void)state;
	b.has_sig = true;
	strcpy(b.sig, SIG_P1);
	assert_int_equal(sign_verify(p, &b, INST, err, sizeof(err)), 0);
	/* "AQ==" and "AR==" decode to the same byte: only the canonical form counts */
	b.sig[BALLOT_SIG_B64 - 3] = 'R';
	assert_int_equal(sign_verify(p, &b, INST, err, sizeof(err)), -1);
	assert_string_equal(err, "bad signature");
	sign_pub_free(p);
}

/* ---- public keys ---- */

static void sign_pub_parse_should_refuse_what_is_not_44_characters_of_base64_of_32_bytes(void **state)
{
	static const char *const bad[] = {
		"",
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",    /* no padding */
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo==",  /* 45 */
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp=",   /* unused bits set */
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHU*o=",   /* not base64 */
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcH Ro=",   /* a space */
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR==",   /* 31 bytes */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
	};
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(sign_pub_parse(bad[i], err, sizeof(err)));
		assert_string_equal(err, "invalid public key: must be 44 characters of base64 (a 32-byte Ed25519 key)");
	}
}

/* ---- key files ---- */

static void sign_keygen_should_write_a_0600_pkcs8_key_whose_public_key_verifies(void **state)
{
	struct fixture *f = *state;
	char path[256], err[256] = "", pub[SIGN_KEY_B64 + 1], again[SIGN_KEY_B64 + 1], head[40] = "";
	struct sign_key *k;
	struct sign_pub *p;
	struct ballot b = ballot_p1();
	struct stat st;
	FILE *in;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/new.pem", f->dir);
	assert_int_equal(sign_keygen(path, pub, err, sizeof(err)), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	in = fopen(path, "r");
	assert_non_null(in);
	assert_non_null(fgets(head, sizeof(head), in));
	fclose(in);
	assert_string_equal(head, "-----BEGIN PRIVATE KEY-----\n");
	assert_int_equal(strlen(pub), SIGN_KEY_B64);
	k = sign_key_load(path, err, sizeof(err));
	assert_non_null(k);
	assert_int_equal(sign_key_public(k, again, err, sizeof(err)), 0);
	assert_string_equal(again, pub);
	p = pub_of(pub);
	assert_int_equal(sign_ballot(k, &b, err, sizeof(err)), 0);
	assert_int_equal(sign_verify(p, &b, INST, err, sizeof(err)), 0);
	sign_pub_free(p);
	sign_key_free(k);
}

static void sign_keygen_should_refuse_an_existing_file_and_leave_it_alone(void **state)
{
	struct fixture *f = *state;
	char path[256], link_path[256], err[256] = "", pub[SIGN_KEY_B64 + 1], want[300], buf[32] = "";
	FILE *in;

	snprintf(path, sizeof(path), "%s/taken.pem", f->dir);
	write_file(path, "mine\n", 0644);
	assert_int_equal(sign_keygen(path, pub, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "'%s' already exists: not overwritten", path);
	assert_string_equal(err, want);
	in = fopen(path, "r");
	assert_non_null(in);
	assert_non_null(fgets(buf, sizeof(buf), in));
	fclose(in);
	assert_string_equal(buf, "mine\n");
	/* a dangling link is refused too: nothing is created where it points */
	snprintf(link_path, sizeof(link_path), "%s/link.pem", f->dir);
	snprintf(want, sizeof(want), "%s/target.pem", f->dir);
	assert_int_equal(symlink(want, link_path), 0);
	assert_int_equal(sign_keygen(link_path, pub, err, sizeof(err)), -1);
	assert_int_equal(access(want, F_OK), -1);
}

static void sign_keygen_should_say_why_it_cannot_create_the_file(void **state)
{
	char err[256] = "", pub[SIGN_KEY_B64 + 1];

	(void)state;
	assert_int_equal(sign_keygen("/nonexistent-dir/k.pem", pub, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot create '/nonexistent-dir/k.pem': no such file or directory");
}

static void sign_key_load_should_refuse_a_key_others_may_read_or_write(void **state)
{
	struct fixture *f = *state;
	static const mode_t modes[] = { 0644, 0640, 0604, 0620, 0602, 0660, 0700 | 0004 };
	char path[256], err[256], want[400];

	snprintf(path, sizeof(path), "%s/loose.pem", f->dir);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(path, RFC_PEM, modes[i]);
		err[0] = '\0';
		assert_null(sign_key_load(path, err, sizeof(err)));
		if (modes[i] == 0644) {
			snprintf(want, sizeof(want), TOO_OPEN_644, path);
			assert_string_equal(err, want);
		}
		assert_non_null(strstr(err, "are too open: the key must be readable by its owner only (chmod 600)"));
	}
	assert_int_equal(chmod(path, 0400), 0); /* read-only for its owner: fine */
	struct sign_key *k = sign_key_load(path, err, sizeof(err));

	assert_non_null(k);
	sign_key_free(k);
}

static void sign_key_load_should_refuse_a_missing_file_a_directory_and_what_is_no_ed25519_key(void **state)
{
	struct fixture *f = *state;
	/* a valid P-256 key: a key, but not Ed25519 */
	static const char ec_pem[] = "-----BEGIN PRIVATE KEY-----\n"
				     "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVUVysKaahQ1LtgVu\n"
				     "vhQrQ/9l4T2EbvrGe9DLY4xMs3GhRANCAAS/1+MjHLIaAPwe/ifOvOFE+a9dZHX7\n"
				     "tp0BW7haX2NNSGkD0xJFyt6XHNcRs/u83wFlmnnGoU8o6u8V6IKwzM1l\n"
				     "-----END PRIVATE KEY-----\n";
	char path[256], err[256] = "", want[400];

	snprintf(path, sizeof(path), "%s/missing.pem", f->dir);
	assert_null(sign_key_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "cannot open key '%s': no such file or directory", path);
	assert_string_equal(err, want);

	assert_null(sign_key_load(f->dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "key '%s' is not a regular file", f->dir);
	assert_string_equal(err, want);

	snprintf(want, sizeof(want), "key '%s' is not an Ed25519 private key in PEM (make one with voter --keygen)",
		 path);
	write_file(path, "not a key\n", 0600);
	assert_null(sign_key_load(path, err, sizeof(err)));
	assert_string_equal(err, want);
	write_file(path, ec_pem, 0600);
	assert_null(sign_key_load(path, err, sizeof(err)));
	assert_string_equal(err, want);
}

/* ---- issue 21: the v3 bytes of the other kinds ---- */

/* kind_ballot: alice's ballot on p1 of kind k (MSG_MULTIPLE, MSG_RANKED,
 * MSG_SCALE), for INST, as ballot_parse would fill it. */
static struct ballot kind_ballot(enum polldef_kind k)
{
	struct ballot b = with_instance(mk("p1", "alice", "", ID, TS), INST);

	b.kind = k;
	if (k == POLLDEF_MULTIPLE) {
		strcpy(b.names[0], "b");
		strcpy(b.names[1], "a");
		b.nnames = 2;
	} else if (k == POLLDEF_RANKED) {
		strcpy(b.names[0], "Lyon");
		strcpy(b.names[1], "caf\xc3\xa9");
		strcpy(b.names_sent[1], "cafe\xcc\x81");
		strcpy(b.names[2], "Nice");
		b.nnames = 3;
	} else {
		b.value = -3;
	}
	return b;
}

static void sign_message_should_give_the_v3_bytes_of_each_other_kind(void **state)
{
	static const struct {
		enum polldef_kind kind;
		const char *msg;
		size_t len;
	} table[] = { { POLLDEF_MULTIPLE, MSG_MULTIPLE, sizeof(MSG_MULTIPLE) - 1 },
		      { POLLDEF_RANKED, MSG_RANKED, sizeof(MSG_RANKED) - 1 },
		      { POLLDEF_SCALE, MSG_SCALE, sizeof(MSG_SCALE) - 1 } };
	unsigned char buf[SIGN_MSG_MAX];
	char err[128] = "";
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
		struct ballot b = kind_ballot(table[k].kind);

		assert_int_equal(sign_message(&b, INST, buf, sizeof(buf), err, sizeof(err)), (int)table[k].len);
		assert_memory_equal(buf, table[k].msg, table[k].len);
	}
}

static void sign_message_should_write_values_and_empty_picks_plainly(void **state)
{
	static const char zero[] = "mqtt-vote ballot v3\0" "2:p1,32:" INST ",5:alice,5:scale,1:0,32:" ID ",13:1700000000000,";
	static const char big[] = "mqtt-vote ballot v3\0" "2:p1,32:" INST ",5:alice,5:scale,7:1000000,32:" ID
				  ",13:1700000000000,";
	static const char none[] = "mqtt-vote ballot v3\0" "2:p1,32:" INST ",5:alice,8:multiple,0:,32:" ID
				   ",13:1700000000000,";
	struct ballot b = kind_ballot(POLLDEF_SCALE);
	unsigned char buf[SIGN_MSG_MAX];
	char err[128] = "";

	(void)state;
	b.value = 0;
	assert_int_equal(sign_message(&b, INST, buf, sizeof(buf), err, sizeof(err)), (int)sizeof(zero) - 1);
	assert_memory_equal(buf, zero, sizeof(zero) - 1);
	b.value = 1000000;
	assert_int_equal(sign_message(&b, INST, buf, sizeof(buf), err, sizeof(err)), (int)sizeof(big) - 1);
	assert_memory_equal(buf, big, sizeof(big) - 1);
	b = kind_ballot(POLLDEF_MULTIPLE);
	b.nnames = 0;
	assert_int_equal(sign_message(&b, INST, buf, sizeof(buf), err, sizeof(err)), (int)sizeof(none) - 1);
	assert_memory_equal(buf, none, sizeof(none) - 1);
}

static void sign_message_should_fit_the_largest_ranking_in_sign_msg_max(void **state)
{
	static const char s64[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl";
	struct ballot b = mk(s64, s64, "", ID, BALLOT_TS_MAX);
	unsigned char buf[SIGN_MSG_MAX];
	char err[128] = "";
	size_t k;

	(void)state;
	b.kind = POLLDEF_MULTIPLE; /* "8:multiple," is the longest kind */
	for (k = 0; k < POLLDEF_CHOICES_MAX; k++)
		snprintf(b.names_sent[k], sizeof(b.names_sent[k]), "%s", s64);
	b.nnames = POLLDEF_CHOICES_MAX;
	/* domain, poll, instance, voter, kind, "2176:" + 32 * 68 + ",", id, ts */
	assert_int_equal(sign_message(&b, INST, buf, sizeof(buf), err, sizeof(err)),
			 20 + 68 + 36 + 68 + 11 + 5 + 32 * 68 + 1 + 36 + 20);
	assert_int_equal(20 + 68 + 36 + 68 + 11 + 5 + 32 * 68 + 1 + 36 + 20, 2441);
	assert_int_equal(sign_message(&b, INST, buf, 2440, err, sizeof(err)), -1);
	assert_string_equal(err, "internal error: the signed bytes do not fit in 2440 bytes");
}

static void sign_ballot_should_match_the_independent_implementation_for_each_kind(void **state)
{
	static const struct {
		enum polldef_kind kind;
		const char *sig;
	} table[] = { { POLLDEF_MULTIPLE, SIG_MULTIPLE }, { POLLDEF_RANKED, SIG_RANKED }, { POLLDEF_SCALE, SIG_SCALE } };
	struct sign_key *k = rfc_key(*state);
	struct sign_pub *p = pub_of(RFC_PUB);
	char err[128] = "";
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct ballot b = kind_ballot(table[i].kind), t;

		assert_int_equal(sign_ballot(k, &b, err, sizeof(err)), 0);
		assert_string_equal(b.sig, table[i].sig);
		assert_int_equal(sign_verify(p, &b, INST, err, sizeof(err)), 0);
		/* another answer, or another kind with the same names: not what was signed */
		t = b;
		if (t.kind == POLLDEF_SCALE)
			t.value = 3;
		else
			t.kind = t.kind == POLLDEF_RANKED ? POLLDEF_MULTIPLE : POLLDEF_RANKED;
		assert_int_equal(sign_verify(p, &t, INST, err, sizeof(err)), -1);
		assert_string_equal(err, "bad signature");
	}
	sign_pub_free(p);
	sign_key_free(k);
}

/* sign_verify_should_take_a_ranked_ballot_signed_in_python: the JSON a
 * client signing with Python's cryptography sends, its second name
 * decomposed: parsed (NFC kept, bytes as sent) and verified by this code;
 * the same order composed, or two names swapped, is no longer it. */
static void sign_verify_should_take_a_ranked_ballot_signed_in_python(void **state)
{
	struct sign_pub *p = pub_of(RFC_PUB);
	struct ballot got, t;
	char err[256] = "";

	(void)state;
	assert_int_equal(ballot_parse("p1", JSON_RANKED, strlen(JSON_RANKED), &got, NULL, err, sizeof(err)), 0);
	assert_int_equal(got.kind, POLLDEF_RANKED);
	assert_string_equal(got.names[1], "caf\xc3\xa9");
	assert_int_equal(sign_verify(p, &got, INST, err, sizeof(err)), 0);
	t = got;
	t.names_sent[1][0] = '\0';
	assert_int_equal(sign_verify(p, &t, INST, err, sizeof(err)), -1);
	t = got;
	strcpy(t.names[0], "Nice");
	strcpy(t.names[2], "Lyon");
	assert_int_equal(sign_verify(p, &t, INST, err, sizeof(err)), -1);
	assert_string_equal(err, "bad signature");
	sign_pub_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_message_should_give_the_readme_bytes_for_a_fixed_ballot),
		cmocka_unit_test(sign_message_should_count_utf8_bytes_and_write_ts_zero_as_0),
		cmocka_unit_test(sign_message_should_fit_the_largest_ballot_in_sign_msg_max),
		cmocka_unit_test(sign_message_should_refuse_a_ballot_without_id_or_ts),
		cmocka_unit_test_setup_teardown(sign_verify_should_check_the_bytes_sent_before_nfc, make_dir, remove_dir),
		cmocka_unit_test(sign_message_should_refuse_no_instance_or_one_that_is_not_32_lower_case_hex),
		cmocka_unit_test(sign_message_should_differ_for_two_instances_of_one_poll),
		cmocka_unit_test_setup_teardown(sign_ballot_should_match_the_independent_implementation, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(sign_verify_should_accept_the_signature_and_refuse_any_changed_field,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(sign_verify_should_refuse_a_signature_by_another_key, make_dir,
						remove_dir),
		cmocka_unit_test(sign_verify_should_name_an_unsigned_ballot_and_a_missing_ts),
		cmocka_unit_test(sign_verify_should_refuse_a_non_canonical_base64_signature),
		cmocka_unit_test(sign_pub_parse_should_refuse_what_is_not_44_characters_of_base64_of_32_bytes),
		cmocka_unit_test_setup_teardown(sign_keygen_should_write_a_0600_pkcs8_key_whose_public_key_verifies,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(sign_keygen_should_refuse_an_existing_file_and_leave_it_alone,
						make_dir, remove_dir),
		cmocka_unit_test(sign_keygen_should_say_why_it_cannot_create_the_file),
		cmocka_unit_test_setup_teardown(sign_key_load_should_refuse_a_key_others_may_read_or_write, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(
			sign_key_load_should_refuse_a_missing_file_a_directory_and_what_is_no_ed25519_key, make_dir,
			remove_dir),
		cmocka_unit_test(sign_message_should_give_the_v3_bytes_of_each_other_kind),
		cmocka_unit_test(sign_message_should_write_values_and_empty_picks_plainly),
		cmocka_unit_test(sign_message_should_fit_the_largest_ranking_in_sign_msg_max),
		cmocka_unit_test_setup_teardown(sign_ballot_should_match_the_independent_implementation_for_each_kind,
						make_dir, remove_dir),
		cmocka_unit_test(sign_verify_should_take_a_ranked_ballot_signed_in_python),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
