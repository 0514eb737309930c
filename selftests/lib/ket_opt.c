// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest.h"
#include "ket_opt.h"

void ket_usage(const char *usage, int status)
{
	fprintf(status == KSFT_PASS ? stdout : stderr, usage, program_invocation_name);
	exit(status);
}

void ket_opt_fail(int opt, const char *arg, const char *want)
{
	fprintf(stderr, "%s: -%c wants %s, not '%s' (-h for help)\n",
		program_invocation_name, opt, want, arg);
	exit(KSFT_FAIL);
}

static void __attribute__((noreturn)) bad_value(int opt, const char *arg, uint64_t min,
						 uint64_t max)
{
	char want[64];

	snprintf(want, sizeof(want), "a whole number from %lu to %lu", min, max);
	ket_opt_fail(opt, arg, want);
}

uint64_t ket_opt_num(int opt, const char *arg, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	if (*arg < '0' || *arg > '9')
		bad_value(opt, arg, min, max);
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		bad_value(opt, arg, min, max);
	return v;
}

uint64_t ket_size_opt(int argc, char *argv[], int opt, uint64_t def, uint64_t min,
		      uint64_t max, const char *usage)
{
	const char optstring[] = { 'h', opt, ':', 0 };
	uint64_t n = def;
	int c;

	while ((c = getopt(argc, argv, optstring)) != -1) {
		if (c == 'h')
			ket_usage(usage, KSFT_PASS);
		if (c != opt)
			ket_usage(usage, KSFT_FAIL);
		n = ket_opt_num(opt, optarg, min, max);
	}
	ket_no_operands(argc, argv, usage);
	return n;
}

void ket_no_operands(int argc, char *argv[], const char *usage)
{
	if (optind >= argc)
		return;
	fprintf(stderr, "%s: unexpected argument '%s'\n", program_invocation_name, argv[optind]);
	ket_usage(usage, KSFT_FAIL);
}
