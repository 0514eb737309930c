/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line options of the tests and tools, parsed with getopt(3) as
 * the in-tree KVM selftests do: -h prints the usage, a bad option or
 * value says what is wrong and fails.
 */
#ifndef KET_OPT_H
#define KET_OPT_H

#include <stdint.h>

/*
 * Prints @usage (a printf format whose every %1$s is the program's name) and
 * exits: to stdout with status 0 after -h (@status KSFT_PASS), to stderr
 * with @status otherwise (KSFT_FAIL after an unknown option).
 */
void ket_usage(const char *usage, int status) __attribute__((noreturn));

/*
 * The value of option -@opt, a whole number from @min to @max; anything
 * else (no digits, a sign, trailing characters, out of range) is said and
 * fails the program.
 */
uint64_t ket_opt_num(int opt, const char *arg, uint64_t min, uint64_t max);

/* Says that option -@opt wants @want, not @arg, and fails the program. */
void ket_opt_fail(int opt, const char *arg, const char *want) __attribute__((noreturn));

/* Fails the program with @usage if arguments are left after the options
 * (getopt()'s optind < @argc). */
void ket_no_operands(int argc, char *argv[], const char *usage);

/*
 * getopt() for a test whose one option sets its size: -@opt N, N from
 * @min to @max (@def without the option), and -h. Returns N.
 */
uint64_t ket_size_opt(int argc, char *argv[], int opt, uint64_t def, uint64_t min,
		      uint64_t max, const char *usage);

#endif /* KET_OPT_H */
