/* SPDX-License-Identifier: MIT */
/*
 * test_chacache.c — chacache.c: positive and negative entries, TTL expiry
 * (time is passed in), name keys fold case and a trailing dot, the TTL cap,
 * bounded size with eviction of expired entries first, then the one that
 * expires soonest; the clock counts a suspend (CLOCK_BOOTTIME).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boottime_ahead.h"

#include "chacache.h"
#include "testaddr.h"

Test(chacache, positive_entry_until_ttl)
{
	struct chacache *c = chacache_new(8);
	struct in6_addr dst = A("2001:db8:c0::10"), cha = A("2001:db8:ca::10"), got;
	uint32_t left = 0;

	cr_assert_eq(chacache_get_addr(c, &dst, &got, NULL, 1000), CHA_MISS);
	cr_assert_eq(chacache_put_addr(c, &dst, &cha, 60, 1000), 0);
	cr_assert_eq(chacache_get_addr(c, &dst, &got, &left, 1000), CHA_FOUND);
	assert_addr(&got, "2001:db8:ca::10");
	cr_assert_eq(left, 60);
	cr_assert_eq(chacache_get_addr(c, &dst, &got, &left, 1000 + 59500), CHA_FOUND);
	cr_assert_eq(left, 1, "remaining TTL rounds up");
	cr_assert_eq(chacache_get_addr(c, &dst, &got, NULL, 1000 + 60000), CHA_MISS, "expired");
	cr_assert_eq(chacache_count(c), 0, "an expired entry is removed on lookup");
	chacache_free(c);
}

Test(chacache, negative_entry)
{
	struct chacache *c = chacache_new(8);
	struct in6_addr dst = A("2001:db8:c2::10"), got = A("::1");
	uint32_t left = 0;

	cr_assert_eq(chacache_put_addr(c, &dst, NULL, CHACACHE_NEG_TTL, 0), 0);
	cr_assert_eq(chacache_get_addr(c, &dst, &got, &left, 0), CHA_NONE);
	cr_assert_eq(left, CHACACHE_NEG_TTL);
	assert_addr(&got, "::1"); /* untouched for a negative entry */
	cr_assert_eq(chacache_get_addr(c, &dst, &got, NULL, CHACACHE_NEG_TTL * 1000), CHA_MISS);
	chacache_free(c);
}

Test(chacache, replace_positive_by_negative)
{
	struct chacache *c = chacache_new(8);
	struct in6_addr dst = A("2001:db8:c0::10"), cha = A("2001:db8:ca::10"), got;

	chacache_put_addr(c, &dst, &cha, 60, 0);
	chacache_put_addr(c, &dst, NULL, 30, 10);
	cr_assert_eq(chacache_count(c), 1);
	cr_assert_eq(chacache_get_addr(c, &dst, &got, NULL, 20), CHA_NONE);
	cr_assert_eq(chacache_get_addr(c, &dst, &got, NULL, 31000), CHA_MISS);
	chacache_free(c);
}

Test(chacache, zero_ttl_stores_nothing_and_ttl_is_capped)
{
	struct chacache *c = chacache_new(8);
	struct in6_addr dst = A("2001:db8:c0::10"), cha = A("2001:db8:ca::10"), got;
	uint32_t left;

	cr_assert_eq(chacache_put_addr(c, &dst, &cha, 0, 0), 0);
	cr_assert_eq(chacache_count(c), 0);
	chacache_put_addr(c, &dst, &cha, 0xffffffffu, 0);
	cr_assert_eq(chacache_get_addr(c, &dst, &got, &left, 0), CHA_FOUND);
	cr_assert_eq(left, CHACACHE_MAX_TTL);
	chacache_free(c);
}

Test(chacache, names_fold_case_and_trailing_dot)
{
	struct chacache *c = chacache_new(8);
	struct in6_addr cha = A("2001:db8:ca::10"), got;

	chacache_put_name(c, "CN.Example.Test.", &cha, 60, 0);
	cr_assert_eq(chacache_get_name(c, "cn.example.test", &got, NULL, 0), CHA_FOUND);
	assert_addr(&got, "2001:db8:ca::10");
	cr_assert_eq(chacache_get_name(c, "cn2.example.test", &got, NULL, 0), CHA_MISS);
	cr_assert_eq(chacache_get_name(c, "", &got, NULL, 0), CHA_MISS);
	cr_assert_eq(chacache_put_name(c, "", &cha, 60, 0), -EINVAL);
	cr_assert_eq(chacache_put_name(c, NULL, &cha, 60, 0), -EINVAL);
	chacache_free(c);
}

Test(chacache, long_keys_refused)
{
	struct chacache *c = chacache_new(4);
	char name[CHACACHE_KEY_MAX + 10];
	struct in6_addr cha = A("2001:db8:ca::10");

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_assert_eq(chacache_put_name(c, name, &cha, 60, 0), -EINVAL);
	cr_assert_eq(chacache_put(c, name, 0, &cha, 60, 0), -EINVAL);
	chacache_free(c);
}

Test(chacache, addresses_and_names_do_not_collide)
{
	struct chacache *c = chacache_new(8);
	struct in6_addr a = A("2001:db8::1"), b = A("2001:db8::2"), cha = A("2001:db8:ca::10"), got;

	chacache_put_addr(c, &a, &cha, 60, 0);
	cr_assert_eq(chacache_get_addr(c, &b, &got, NULL, 0), CHA_MISS);
	chacache_free(c);
}

Test(chacache, bounded_evicts_expired_first)
{
	struct chacache *c = chacache_new(4);
	struct in6_addr cha = A("2001:db8:ca::10"), got;
	char name[32];

	/* a.test lives 10 s, the others 100 s */
	chacache_put_name(c, "a.test", &cha, 10, 0);
	chacache_put_name(c, "b.test", &cha, 100, 0);
	chacache_put_name(c, "c.test", &cha, 100, 0);
	chacache_put_name(c, "d.test", NULL, 100, 0);
	cr_assert_eq(chacache_count(c), 4);
	/* at t = 20 s a.test has expired: e.test takes its place */
	chacache_put_name(c, "e.test", &cha, 100, 20000);
	cr_assert_eq(chacache_count(c), 4);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%c.test", 'b' + i);
		cr_assert_neq(chacache_get_name(c, name, &got, NULL, 20000), CHA_MISS, "%s", name);
	}
	chacache_free(c);
}

Test(chacache, bounded_evicts_soonest_expiry)
{
	struct chacache *c = chacache_new(3);
	struct in6_addr cha = A("2001:db8:ca::10"), got;

	chacache_put_name(c, "long.test", &cha, 300, 0);
	chacache_put_name(c, "short.test", &cha, 50, 0);
	chacache_put_name(c, "mid.test", &cha, 100, 0);
	chacache_put_name(c, "new.test", &cha, 100, 1000);
	cr_assert_eq(chacache_count(c), 3);
	cr_assert_eq(chacache_get_name(c, "short.test", &got, NULL, 1000), CHA_MISS);
	cr_assert_eq(chacache_get_name(c, "long.test", &got, NULL, 1000), CHA_FOUND);
	cr_assert_eq(chacache_get_name(c, "mid.test", &got, NULL, 1000), CHA_FOUND);
	cr_assert_eq(chacache_get_name(c, "new.test", &got, NULL, 1000), CHA_FOUND);
	chacache_free(c);
}

Test(chacache, many_entries_stay_bounded)
{
	struct chacache *c = chacache_new(16);
	struct in6_addr cha = A("2001:db8:ca::10"), dst = A("2001:db8::"), got;

	for (int i = 0; i < 1000; i++) {
		dst.s6_addr[15] = (uint8_t)i;
		dst.s6_addr[14] = (uint8_t)(i >> 8);
		chacache_put_addr(c, &dst, (i & 1) ? &cha : NULL, 60 + (uint32_t)i, 0);
	}
	cr_assert_eq(chacache_count(c), 16);
	/* the survivors are the 16 that live longest */
	dst.s6_addr[15] = (uint8_t)999;
	dst.s6_addr[14] = (uint8_t)(999 >> 8);
	cr_assert_eq(chacache_get_addr(c, &dst, &got, NULL, 0), CHA_FOUND);
	chacache_free(c);
}

Test(chacache, process_caches)
{
	cr_assert_not_null(chacache_by_addr());
	cr_assert_not_null(chacache_by_name());
	cr_assert_neq(chacache_by_addr(), chacache_by_name());
	cr_assert_eq(chacache_by_addr(), chacache_by_addr(), "one cache per process");
	cr_assert_null(chacache_new(0));
}

static uint64_t boot_ms_here(void)
{
	struct timespec ts;

	cr_assert_eq(clock_gettime(CLOCK_BOOTTIME, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* TTLs count in the boot-time clock's milliseconds: read between two
 * readings of CLOCK_BOOTTIME, and 50 ms of sleep are 50 of its units. */
Test(chacache, clock_is_boottime_milliseconds)
{
	struct timespec nap = { 0, 50 * 1000000L };
	uint64_t before = boot_ms_here();
	uint64_t a = chacache_now_ms();
	uint64_t after = boot_ms_here();
	uint64_t b;

	cr_assert(a >= before && a <= after, "clock %llu ms, CLOCK_BOOTTIME %llu..%llu ms",
		  (unsigned long long)a, (unsigned long long)before, (unsigned long long)after);
	while (nanosleep(&nap, &nap) != 0 && errno == EINTR)
		;
	b = chacache_now_ms();
	cr_assert(b - a >= 50 && b - a < 5000, "50 ms of sleep read as %llu units",
		  (unsigned long long)(b - a));
}

/*
 * A DNS TTL runs on while the machine sleeps. A child in a time namespace
 * whose boot-time clock is a day ahead, its monotonic clock as it was (a
 * day's suspend, as clock_gettime(2) tells them), looks up what its parent
 * cached for an hour just before: gone. On CLOCK_MONOTONIC, which stands
 * still in a suspend, the answer outlived its TTL by the night. The child
 * reports by its exit status.
 */
Test(chacache, a_ttl_runs_on_while_the_machine_sleeps)
{
	struct chacache *c = chacache_new(8);
	struct in6_addr dst = A("2001:db8:c0::10"), cha = A("2001:db8:ca::10");
	int st;
	pid_t pid;

	boottime_ahead_a_day();
	/* this process is outside the namespace: the time before the sleep */
	cr_assert_eq(chacache_put_addr(c, &dst, &cha, 3600, chacache_now_ms()), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(chacache_get_addr(c, &dst, NULL, NULL, chacache_now_ms()) == CHA_MISS ? 0 : 3);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the child died");
	cr_assert_eq(WEXITSTATUS(st), 0, "an hour's answer is still served after a day's sleep");
	chacache_free(c);
}

/* getaddrinfo() reads the name cache only once something made it */
Test(chacache, process_name_cache_is_seen_once_made)
{
	struct chacache *c;

	cr_assert_null(chacache_by_name_if_made(), "a name cache before any use");
	c = chacache_by_name();
	cr_assert_not_null(c);
	cr_assert_eq(chacache_by_name_if_made(), c);
}

Test(chacache, delete_and_compare_answers)
{
	struct chacache *c = chacache_new(8);
	struct in6_addr dst = A("2001:db8:c0::10"), cha = A("2001:db8:ca::10"),
			other = A("2001:db8:ca::11");

	cr_assert_eq(chacache_put_addr(c, &dst, &cha, 60, 0), 0);
	cr_assert_eq(chacache_del_addr(c, &dst), 1);
	cr_assert_eq(chacache_get_addr(c, &dst, NULL, NULL, 0), CHA_MISS, "deleted");
	cr_assert_eq(chacache_count(c), 0);
	cr_assert_eq(chacache_del_addr(c, &dst), 0, "nothing left to delete");

	cr_assert(chacache_same_answer(CHA_FOUND, &cha, CHA_FOUND, &cha));
	cr_assert_not(chacache_same_answer(CHA_FOUND, &cha, CHA_FOUND, &other), "two anchors");
	cr_assert_not(chacache_same_answer(CHA_FOUND, &cha, CHA_NONE, NULL), "one and none");
	cr_assert_not(chacache_same_answer(CHA_NONE, NULL, CHA_FOUND, &cha), "none and one");
	cr_assert(chacache_same_answer(CHA_NONE, NULL, CHA_NONE, &other), "none and none");
	chacache_free(c);
}
