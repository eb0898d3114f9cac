/* SPDX-License-Identifier: MIT */
/* test_ipc.c — framing, parsing and the request schema of ipc.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"

static char err[256];

static json_t *parse(const char *s)
{
	return ipc_parse(s, strlen(s), err, sizeof(err));
}

/* Parse and validate s; expect rc and (for failures) err to contain want. */
static void check(const char *s, int rc, const char *want)
{
	json_t *j = parse(s);
	int r;

	cr_assert_not_null(j, "parse failed for %s: %s", s, err);
	err[0] = '\0';
	r = ipc_validate_request(j, err, sizeof(err));
	cr_assert_eq(r, rc, "validate %s -> %d (%s), want %d", s, r, err, rc);
	if (want)
		cr_assert(strstr(err, want), "validate %s: got \"%s\", want \"%s\"", s, err, want);
	json_decref(j);
}

Test(ipc, parse_accepts_one_object)
{
	json_t *j = parse("{\"op\":\"hello\",\"id\":1}\n");

	cr_assert_not_null(j, "%s", err);
	cr_assert(json_is_object(j));
	json_decref(j);
	j = parse("{\"op\":\"hello\",\"id\":1}");
	cr_assert_not_null(j, "%s", err);
	json_decref(j);
}

Test(ipc, parse_rejects)
{
	cr_assert_null(parse(""));
	cr_assert(strstr(err, "empty"), "%s", err);
	cr_assert_null(parse("\n"));
	cr_assert_null(parse("[1,2]"));
	cr_assert(strstr(err, "not a JSON object"), "%s", err);
	cr_assert_null(parse("\"str\""));
	cr_assert_null(parse("42"));
	cr_assert_null(parse("{\"op\":"));
	cr_assert(strstr(err, "bad JSON"), "%s", err);
	cr_assert_null(parse("{} {}"));
	cr_assert_null(parse("{}\n{}"));
	cr_assert(strstr(err, "more than one line"), "%s", err);
	cr_assert_null(parse("{\"id\":1,\"id\":2}"));
	cr_assert(strstr(err, "duplicate"), "%s", err);
	cr_assert_null(parse("{\"op\":\"a\\u0000b\"}"));
	cr_assert_null(ipc_parse("{\"a\"\0:1}", 8, err, sizeof(err)));
	cr_assert_null(ipc_parse(NULL, 0, err, sizeof(err)));
}

Test(ipc, parse_size_bound)
{
	size_t n = ODM_IPC_MAX + 1;
	char *s = malloc(n + 1);
	json_t *j;

	/* {"op":"xxxx..."} of exactly ODM_IPC_MAX bytes with the newline */
	memset(s, 'x', n);
	memcpy(s, "{\"op\":\"", 7);
	memcpy(s + ODM_IPC_MAX - 3, "\"}\n", 3);
	j = ipc_parse(s, ODM_IPC_MAX, err, sizeof(err));
	cr_assert_not_null(j, "%s", err);
	json_decref(j);
	/* one byte more */
	memset(s, 'x', n);
	memcpy(s, "{\"op\":\"", 7);
	memcpy(s + ODM_IPC_MAX - 2, "\"}\n", 3);
	cr_assert_null(ipc_parse(s, n, err, sizeof(err)));
	cr_assert(strstr(err, "exceeds"), "%s", err);
	free(s);
}

Test(ipc, validate_accepts)
{
	check("{\"op\":\"hello\",\"id\":0}", 0, NULL);
	check("{\"op\":\"status\",\"id\":7}", 0, NULL);
	check("{\"op\":\"move-wait\",\"id\":7}", 0, NULL);
	check("{\"op\":\"move-wait\",\"id\":7,\"ms\":5}", -EINVAL,
	      "field \"ms\": not part of op move-wait");
	check("{\"op\":\"release\",\"id\":7,\"addr\":\"2001:db8::1\"}", 0, NULL);
	check("{\"op\":\"lease\",\"id\":1,\"type\":\"session-lasting\",\"dst\":\"2001:db8::2\","
	      "\"proto\":\"tcp\"}",
	      0, NULL);
	check("{\"op\":\"lease\",\"id\":1,\"type\":\"fixed\",\"dst\":\"2001:db8::2\","
	      "\"proto\":\"udp\",\"cha\":\"2001:db8:c4a::1\",\"fresh\":true}",
	      0, NULL);
	check("{\"id\":1,\"proto\":\"udp\",\"dst\":\"::ffff:192.0.2.1\",\"op\":\"lease\","
	      "\"type\":\"non-persistent\",\"fresh\":false}",
	      0, NULL);
	check("{\"op\":\"lease\",\"id\":1,\"type\":\"graceful-replacement\",\"dst\":\"::1\","
	      "\"proto\":\"tcp\"}",
	      0, NULL);
}

Test(ipc, validate_common_fields)
{
	check("{\"id\":1}", -EINVAL, "field \"op\": missing");
	check("{\"op\":\"hello\"}", -EINVAL, "field \"id\": missing");
	check("{\"op\":5,\"id\":1}", -EINVAL, "field \"op\": must be a string");
	check("{\"op\":\"hello\",\"id\":\"1\"}", -EINVAL, "field \"id\": must be an integer");
	check("{\"op\":\"hello\",\"id\":1.5}", -EINVAL, "field \"id\": must be an integer");
	check("{\"op\":\"hello\",\"id\":-1}", -EINVAL, "field \"id\": must not be negative");
	check("{\"op\":\"hello\",\"id\":null}", -EINVAL, "field \"id\"");
	check("{\"op\":\"frobnicate\",\"id\":1}", -EINVAL, "unknown op \"frobnicate\"");
	check("{\"op\":\"hello\",\"id\":1,\"extra\":1}", -EINVAL,
	      "field \"extra\": not part of op hello");
	check("{\"op\":\"status\",\"id\":1,\"addr\":\"::1\"}", -EINVAL,
	      "field \"addr\": not part of op status");
}

Test(ipc, move_wait_since_ms_is_bounded)
{
	check("{\"op\":\"move-wait\",\"id\":1}", 0, NULL);
	check("{\"op\":\"move-wait\",\"id\":1,\"since_ms\":1}", 0, NULL);
	check("{\"op\":\"move-wait\",\"id\":1,\"since_ms\":60000}", 0, NULL);
	check("{\"op\":\"move-wait\",\"id\":1,\"since_ms\":0}", -EINVAL,
	      "field \"since_ms\": must be from 1 to 60000");
	check("{\"op\":\"move-wait\",\"id\":1,\"since_ms\":-5}", -EINVAL,
	      "field \"since_ms\": must be from 1 to 60000");
	check("{\"op\":\"move-wait\",\"id\":1,\"since_ms\":60001}", -EINVAL,
	      "field \"since_ms\": must be from 1 to 60000");
	check("{\"op\":\"move-wait\",\"id\":1,\"since_ms\":9223372036854775807}", -EINVAL,
	      "field \"since_ms\": must be from 1 to 60000");
	check("{\"op\":\"move-wait\",\"id\":1,\"since_ms\":\"5\"}", -EINVAL,
	      "field \"since_ms\": must be an integer");
}

#define LEASE(rest) "{\"op\":\"lease\",\"id\":1," rest "}"

Test(ipc, validate_lease_fields)
{
	/* no type: a program that did not ask, the policy's default applies */
	check(LEASE("\"dst\":\"::1\",\"proto\":\"tcp\""), 0, NULL);
	/* what the client says about itself passes the schema (and is never believed) */
	check(LEASE("\"dst\":\"::1\",\"proto\":\"tcp\",\"uid\":0,\"exe\":\"/bin/x\""), 0, NULL);
	check(LEASE("\"dst\":\"::1\",\"proto\":\"tcp\",\"uid\":\"root\""), -EINVAL,
	      "field \"uid\": must be an integer");
	check(LEASE("\"type\":\"fixed\",\"proto\":\"tcp\""), -EINVAL, "field \"dst\": missing");
	check(LEASE("\"type\":\"fixed\",\"dst\":\"::1\""), -EINVAL, "field \"proto\": missing");
	check(LEASE("\"type\":3,\"dst\":\"::1\",\"proto\":\"tcp\""), -EINVAL,
	      "field \"type\": must be an address type name");
	check(LEASE("\"type\":\"mobile\",\"dst\":\"::1\",\"proto\":\"tcp\""), -EINVAL,
	      "field \"type\": unknown address type \"mobile\"");
	check(LEASE("\"type\":\"none\",\"dst\":\"::1\",\"proto\":\"tcp\""), -EINVAL,
	      "unknown address type \"none\"");
	check(LEASE("\"type\":\"fixed\",\"dst\":\"192.0.2.1\",\"proto\":\"tcp\""), -EINVAL,
	      "field \"dst\": not an IPv6 address");
	check(LEASE("\"type\":\"fixed\",\"dst\":[],\"proto\":\"tcp\""), -EINVAL,
	      "field \"dst\": must be an IPv6 address string");
	check(LEASE("\"type\":\"fixed\",\"dst\":\"::1\",\"proto\":\"sctp\""), -EINVAL,
	      "field \"proto\": must be \"tcp\" or \"udp\", not \"sctp\"");
	check(LEASE("\"type\":\"fixed\",\"dst\":\"::1\",\"proto\":true"), -EINVAL,
	      "field \"proto\": must be");
	check(LEASE("\"type\":\"fixed\",\"dst\":\"::1\",\"proto\":\"tcp\",\"cha\":\"x\""), -EINVAL,
	      "field \"cha\": not an IPv6 address");
	check(LEASE("\"type\":\"fixed\",\"dst\":\"::1\",\"proto\":\"tcp\",\"fresh\":1"), -EINVAL,
	      "field \"fresh\": must be a boolean");
	check(LEASE("\"type\":\"fixed\",\"dst\":\"::1\",\"proto\":\"tcp\",\"port\":80"), -EINVAL,
	      "field \"port\": not part of op lease");
}

Test(ipc, validate_release_fields)
{
	check("{\"op\":\"release\",\"id\":1}", -EINVAL, "field \"addr\": missing");
	check("{\"op\":\"release\",\"id\":1,\"addr\":\"2001:db8::/64\"}", -EINVAL,
	      "field \"addr\": not an IPv6 address");
	check("{\"op\":\"release\",\"id\":1,\"addr\":{}}", -EINVAL, "field \"addr\": must be");
	check("{\"op\":\"release\",\"id\":1,\"addr\":\"::1\",\"noreply\":true}", 0, NULL);
	check("{\"op\":\"release\",\"id\":1,\"addr\":\"::1\",\"noreply\":1}", -EINVAL,
	      "field \"noreply\": must be a boolean");
	check("{\"op\":\"hello\",\"id\":1,\"noreply\":true}", -EINVAL,
	      "field \"noreply\": not part of op hello");
}

Test(ipc, validate_fallback_fields)
{
	check("{\"op\":\"fallback\",\"id\":1,\"type\":\"session-lasting\",\"dst\":\"2001:db8::1\","
	      "\"error\":110,\"noreply\":true}",
	      0, NULL);
	check("{\"op\":\"fallback\",\"id\":1,\"type\":\"session-lasting\",\"dst\":\"2001:db8::1\"}",
	      -EINVAL, "field \"error\": missing");
	check("{\"op\":\"fallback\",\"id\":1,\"type\":\"session-lasting\",\"dst\":\"x\",\"error\":1}",
	      -EINVAL, "field \"dst\": not an IPv6 address");
	check("{\"op\":\"fallback\",\"id\":1,\"type\":\"session-lasting\",\"dst\":\"::1\","
	      "\"error\":\"ETIMEDOUT\"}",
	      -EINVAL, "field \"error\": must be an integer");
}

/* a shim's cha lookups (cha-check, cha-result): the name is a host name,
 * bounded so that "cha." and it make a DNS name */
Test(ipc, validate_cha_fields)
{
	char line[512], name[ODM_IPC_NAME_MAX + 2];

	check("{\"op\":\"cha-check\",\"id\":1,\"name\":\"cn.example.test\"}", 0, NULL);
	check("{\"op\":\"cha-check\",\"id\":1,\"name\":\"Cn_1-x.\"}", 0, NULL);
	check("{\"op\":\"cha-check\",\"id\":1}", -EINVAL, "field \"name\": missing");
	check("{\"op\":\"cha-check\",\"id\":1,\"name\":\"\"}", -EINVAL,
	      "field \"name\": not a host name");
	check("{\"op\":\"cha-check\",\"id\":1,\"name\":\"a b\"}", -EINVAL,
	      "field \"name\": not a host name");
	check("{\"op\":\"cha-check\",\"id\":1,\"name\":\"a/b\"}", -EINVAL,
	      "field \"name\": not a host name");
	check("{\"op\":\"cha-check\",\"id\":1,\"name\":7}", -EINVAL,
	      "field \"name\": must be a host name");
	check("{\"op\":\"cha-check\",\"id\":1,\"name\":\"a\",\"noreply\":true}", -EINVAL,
	      "field \"noreply\": not part of op cha-check");
	memset(name, 'a', sizeof(name));
	name[ODM_IPC_NAME_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"op\":\"cha-check\",\"id\":1,\"name\":\"%s\"}", name);
	check(line, 0, NULL);
	name[ODM_IPC_NAME_MAX] = 'a';
	name[ODM_IPC_NAME_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "{\"op\":\"cha-check\",\"id\":1,\"name\":\"%s\"}", name);
	check(line, -EINVAL, "not a host name of 1 to 249");
	check("{\"op\":\"cha-result\",\"id\":1,\"name\":\"cn\",\"answered\":false,"
	      "\"noreply\":true}", 0, NULL);
	check("{\"op\":\"cha-result\",\"id\":1,\"name\":\"cn\"}", -EINVAL,
	      "field \"answered\": missing");
	check("{\"op\":\"cha-result\",\"id\":1,\"name\":\"cn\",\"answered\":0}", -EINVAL,
	      "field \"answered\": must be a boolean");
	cr_assert(ipc_name_ok("cn", 2));
	cr_assert_not(ipc_name_ok("cn", 3), "a NUL inside the length");
	cr_assert_not(ipc_name_ok(NULL, 0));
}

Test(ipc, validate_built_objects)
{
	/* objects built in code can hold what the parser never produces */
	json_t *j = json_pack("{s:s,s:i,s:s#}", "op", "release", "id", 1, "addr", "::1\0x", 5);

	cr_assert_eq(ipc_validate_request(j, err, sizeof(err)), -EINVAL);
	json_decref(j);
	j = json_array();
	cr_assert_eq(ipc_validate_request(j, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a JSON object"));
	json_decref(j);
	cr_assert_eq(ipc_validate_request(NULL, err, sizeof(err)), -EINVAL);
	cr_assert(ipc_op_known("lease"));
	cr_assert(!ipc_op_known("leases"));
	cr_assert(!ipc_op_known(NULL));
}

Test(ipc, dump)
{
	json_t *j = json_pack("{s:s,s:i}", "op", "hello", "id", 3);
	size_t len;
	char *s = ipc_dump(j, &len);

	cr_assert_not_null(s);
	cr_assert_eq(len, strlen(s));
	cr_assert_eq(s[len - 1], '\n');
	cr_assert_null(memchr(s, '\n', len - 1));
	free(s);
	json_decref(j);

	/* a string that makes the line exactly one byte too long */
	{
		char *big = malloc(ODM_IPC_MAX);

		memset(big, 'a', ODM_IPC_MAX - 1);
		big[ODM_IPC_MAX - 1] = '\0';
		big[ODM_IPC_MAX - 9] = '\0'; /* {"a":"…"} + '\n' = len + 9 */
		j = json_pack("{s:s}", "a", big);
		s = ipc_dump(j, &len);
		cr_assert_not_null(s);
		cr_assert_eq(len, ODM_IPC_MAX - 9 + 9);
		free(s);
		json_decref(j);
		big[ODM_IPC_MAX - 9] = 'a';
		big[ODM_IPC_MAX - 8] = '\0';
		j = json_pack("{s:s}", "a", big);
		cr_assert_null(ipc_dump(j, &len));
		json_decref(j);
		free(big);
	}
}

Test(ipc, socket_path)
{
	unsetenv(ODM_IPC_ENV);
	cr_assert_str_eq(ipc_socket_path(), ODM_IPC_DEFAULT_PATH);
	setenv(ODM_IPC_ENV, "/tmp/x.sock", 1);
	cr_assert_str_eq(ipc_socket_path(), "/tmp/x.sock");
	setenv(ODM_IPC_ENV, "", 1);
	cr_assert_str_eq(ipc_socket_path(), ODM_IPC_DEFAULT_PATH);
}

/* ipc_call against a hand-driven peer on a socketpair */

struct peer {
	int fd;
	const char *script; /* what to send back, %ld = the request's id */
	int chunked;        /* send one byte at a time */
};

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	char buf[4096], out[4096];
	ssize_t n;
	size_t len = 0;
	json_t *req;
	long id;

	while (len < sizeof(buf) && (n = read(p->fd, buf + len, sizeof(buf) - len)) > 0) {
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	req = ipc_parse(buf, len, NULL, 0);
	if (!req) {
		close(p->fd);
		return NULL;
	}
	id = (long)json_integer_value(json_object_get(req, "id"));
	json_decref(req);
	/* the script says %ld where the request's id goes */
	n = 0;
	for (const char *c = p->script; *c && n < (ssize_t)sizeof(out) - 32; c++) {
		if (strncmp(c, "%ld", 3) == 0) {
			n += snprintf(out + n, sizeof(out) - (size_t)n, "%ld", id);
			c += 2;
		} else {
			out[n++] = *c;
		}
	}
	if (p->chunked) {
		for (ssize_t i = 0; i < n; i++) {
			if (write(p->fd, out + i, 1) != 1)
				break;
			usleep(200);
		}
	} else if (n > 0 && write(p->fd, out, (size_t)n) != n) {
		n = -1;
	}
	close(p->fd); /* EOF tells the caller nothing more comes */
	return NULL;
}

static int call_with(const char *script, int chunked, json_t **resp, int *leftover)
{
	int sv[2];
	pthread_t t;
	struct peer p;
	json_t *req = json_pack("{s:s}", "op", "hello");
	int r;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p.fd = sv[1];
	p.script = script;
	p.chunked = chunked;
	pthread_create(&t, NULL, peer_main, &p);
	r = ipc_call(sv[0], req, resp, 1000);
	pthread_join(t, NULL);
	if (leftover) {
		char c;

		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		*leftover = (int)read(sv[0], &c, 1);
	}
	close(sv[0]);
	json_decref(req);
	return r;
}

Test(ipc, call_matches_id)
{
	json_t *resp;
	int left;

	cr_assert_eq(call_with("{\"id\":%ld,\"ok\":true,\"role\":\"mn\"}\n", 0, &resp, &left), 0);
	cr_assert_str_eq(json_string_value(json_object_get(resp, "role")), "mn");
	cr_assert_eq(left, 0); /* EOF: nothing left, nothing over-read */
	json_decref(resp);
}

Test(ipc, call_partial_reads)
{
	json_t *resp;

	cr_assert_eq(call_with("{\"id\":%ld,\"ok\":true,\"role\":\"anchor\"}\n", 1, &resp, NULL),
		     0);
	cr_assert_str_eq(json_string_value(json_object_get(resp, "role")), "anchor");
	json_decref(resp);
}

Test(ipc, call_skips_stale_and_keeps_rest)
{
	json_t *resp;
	int left;

	/* a stale reply first, ours, then bytes of a later message */
	cr_assert_eq(call_with("{\"id\":999999999999999999,\"ok\":true}\n"
			       "{\"id\":%ld,\"ok\":false,\"error\":\"EPERM\"}\n{\"id\":",
			       0, &resp, &left),
		     0);
	cr_assert_str_eq(json_string_value(json_object_get(resp, "error")), "EPERM");
	cr_assert_eq(left, 1, "the next message's bytes must stay on the socket");
	json_decref(resp);
}

Test(ipc, call_errors)
{
	json_t *resp = (json_t *)1;

	cr_assert_eq(call_with("garbage\n", 0, &resp, NULL), -EPROTO);
	cr_assert_null(resp);
	cr_assert_eq(call_with("{\"id\":%ld}\n", 0, &resp, NULL), -EPROTO);
	cr_assert_eq(call_with("{\"id\":%ld,\"ok\":tr", 0, &resp, NULL), -EPIPE);
	cr_assert_eq(call_with("", 0, &resp, NULL), -EPIPE);
}

/* An agent that refuses the connection (EBUSY: the user's share is full)
 * says so with no id, to the connection, and closes it: that is the answer,
 * also when it closed before the request could be sent. */
Test(ipc, call_takes_a_refusal_of_the_connection)
{
	static const char busy[] = "{\"id\":null,\"ok\":false,\"error\":\"EBUSY\","
				   "\"message\":\"the user holds its whole share\"}\n";
	json_t *req = json_pack("{s:s}", "op", "hello"), *resp;
	int sv[2];

	cr_assert_eq(call_with(busy, 0, &resp, NULL), 0);
	cr_assert_str_eq(json_string_value(json_object_get(resp, "error")), "EBUSY");
	json_decref(resp);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[1], busy, sizeof(busy) - 1), (ssize_t)sizeof(busy) - 1);
	close(sv[1]);
	cr_assert_eq(ipc_call(sv[0], req, &resp, 1000), 0, "the refusal, not EPIPE");
	cr_assert_str_eq(json_string_value(json_object_get(resp, "message")),
			 "the user holds its whole share");
	json_decref(resp);
	close(sv[0]);
	json_decref(req);
}

Test(ipc, call_timeout)
{
	int sv[2];
	json_t *req = json_pack("{s:s}", "op", "hello"), *resp;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(ipc_call(sv[0], req, &resp, 50), -ETIMEDOUT);
	cr_assert_eq(ipc_call(-1, req, &resp, 50), -EINVAL);
	close(sv[0]);
	close(sv[1]);
	json_decref(req);
}

Test(ipc, connect_errors)
{
	char longp[200];

	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	cr_assert_eq(ipc_connect(longp, 100), -ENAMETOOLONG);
	cr_assert_eq(ipc_connect("/nonexistent/odm.sock", 100), -ENOENT);
}

Test(ipc, validate_policy_ops)
{
	check("{\"op\":\"reload\",\"id\":1}", 0, NULL);
	check("{\"op\":\"policy-show\",\"id\":1}", 0, NULL);
	check("{\"op\":\"policy-add\",\"id\":1,\"rule\":\"uid 1000 allow all\"}", 0, NULL);
	check("{\"op\":\"policy-add\",\"id\":1,\"rule\":\"uid 1\",\"at\":2}", 0, NULL);
	check("{\"op\":\"policy-add\",\"id\":1}", -EINVAL, "field \"rule\": missing");
	check("{\"op\":\"policy-del\",\"id\":1,\"rule\":2}", 0, NULL);
	check("{\"op\":\"policy-del\",\"id\":1,\"rule\":\"2\"}", -EINVAL,
	      "field \"rule\": must be an integer");
	check("{\"op\":\"policy-test\",\"id\":1,\"uid\":0,\"exe\":\"/bin/x\","
	      "\"type\":\"fixed\",\"gid\":0}",
	      0, NULL);
	check("{\"op\":\"policy-test\",\"id\":1,\"uid\":0,\"type\":\"mobile\"}", -EINVAL,
	      "unknown address type \"mobile\"");
	check("{\"op\":\"policy-test\",\"id\":1}", -EINVAL, "field \"uid\": missing");
}
