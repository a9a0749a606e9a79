/*
 * Unit tests of common/addr.c: the address:port forms fupind.conf's
 * control.listen and control.http and fupinctl -a accept, what they
 * refuse, loopback detection (a non-loopback listener needs
 * control.listen_remote) and Unix socket paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "addr.h"

static void
test_split(void **state)
{
	char host[64], port[8];

	assert_int_equal(addr_split("127.0.0.1:7070", host, sizeof(host), port,
			     sizeof(port)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "7070");
	assert_int_equal(addr_split("[::1]:7070", host, sizeof(host), port,
			     sizeof(port)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(addr_split("fupin.example:80", host, sizeof(host),
			     port, sizeof(port)), 0);
	assert_string_equal(host, "fupin.example");
	assert_string_equal(port, "80");
	/* The last colon splits: a name lookup may take "::1". */
	assert_int_equal(addr_split("::1:7070", host, sizeof(host), port,
			     sizeof(port)), 0);
	assert_string_equal(host, "::1");
	/* No port, no host, unbalanced brackets. */
	assert_int_equal(addr_split("127.0.0.1", host, sizeof(host), port,
			     sizeof(port)), -1);
	assert_int_equal(addr_split("127.0.0.1:", host, sizeof(host), port,
			     sizeof(port)), -1);
	assert_int_equal(addr_split(":7070", host, sizeof(host), port,
			     sizeof(port)), -1);
	assert_int_equal(addr_split("[::1:7070", host, sizeof(host), port,
			     sizeof(port)), -1);
	assert_int_equal(addr_split("[]:7070", host, sizeof(host), port,
			     sizeof(port)), -1);
	/* Too long for the buffers: refused, not cut. */
	assert_int_equal(addr_split("abcdefgh:1", host, 8, port,
			     sizeof(port)), -1);
	assert_int_equal(addr_split("h:123456789", host, sizeof(host), port,
			     sizeof(port)), -1);
}

static void
test_parse(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const struct sockaddr_in *in = (const void *)&ss;
	const struct sockaddr_in6 *in6 = (const void *)&ss;

	assert_int_equal(addr_parse("127.0.0.1:7070", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(in->sin_port), 7070);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(addr_parse("[::1]:65535", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(in6->sin6_port), 65535);
	assert_int_equal(addr_parse("0.0.0.0:1", &ss, &len), 0);

	assert_int_equal(addr_parse("127.0.0.1:0", &ss, &len), -1);
	assert_int_equal(addr_parse("127.0.0.1:65536", &ss, &len), -1);
	assert_int_equal(addr_parse("127.0.0.1:-1", &ss, &len), -1);
	assert_int_equal(addr_parse("127.0.0.1:+80", &ss, &len), -1);
	assert_int_equal(addr_parse("127.0.0.1:80x", &ss, &len), -1);
	assert_int_equal(addr_parse("127.0.0.1", &ss, &len), -1);
	assert_int_equal(addr_parse("localhost:7070", &ss, &len), -1);
	assert_int_equal(addr_parse("127.1:7070", &ss, &len), -1);
	assert_int_equal(addr_parse("[127.0.0.1]:7070", &ss, &len), -1);
	assert_int_equal(addr_parse("[::1]", &ss, &len), -1);
	assert_int_equal(addr_parse("::1:7070", &ss, &len), -1);
	assert_int_equal(addr_parse("", &ss, &len), -1);
}

static void
test_loopback(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	assert_int_equal(addr_parse("127.0.0.1:1", &ss, &len), 0);
	assert_true(addr_is_loopback((struct sockaddr *)&ss));
	assert_int_equal(addr_parse("127.255.0.9:1", &ss, &len), 0);
	assert_true(addr_is_loopback((struct sockaddr *)&ss));
	assert_int_equal(addr_parse("[::1]:1", &ss, &len), 0);
	assert_true(addr_is_loopback((struct sockaddr *)&ss));
	assert_int_equal(addr_parse("0.0.0.0:1", &ss, &len), 0);
	assert_false(addr_is_loopback((struct sockaddr *)&ss));
	assert_int_equal(addr_parse("10.0.0.1:1", &ss, &len), 0);
	assert_false(addr_is_loopback((struct sockaddr *)&ss));
	assert_int_equal(addr_parse("[::]:1", &ss, &len), 0);
	assert_false(addr_is_loopback((struct sockaddr *)&ss));
}

static void
test_unix(void **state)
{
	struct sockaddr_un sun;
	socklen_t len;
	char longpath[200];

	assert_int_equal(addr_unix("/run/fupin/fupind.sock", &sun, &len), 0);
	assert_int_equal(sun.sun_family, AF_UNIX);
	assert_string_equal(sun.sun_path, "/run/fupin/fupind.sock");
	assert_int_equal(len, sizeof(sun));
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(addr_unix(longpath, &sun, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_unix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
