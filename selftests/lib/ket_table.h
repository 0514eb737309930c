/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading kvm_exit_timing's debugfs files: the exit tables (stats and
 * summary files) and the histogram files, parsed per the documented ABI.
 */
#ifndef KET_TABLE_H
#define KET_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define KET_EXIT_TYPES	32
#define KET_BUCKETS	305

/* Row names, in table order (the ABI). */
extern const char *const ket_exit_types[KET_EXIT_TYPES];

/* Index of a row by name; aborts the test on an unknown name. */
int ket_type(const char *name);

/* Whether a row counts guest exits (all but TIMEINGUEST, DESCHEDULED). */
bool ket_type_is_exit(int type);

struct ket_row {
	uint64_t count, min, max, avg, total, stddev, p50, p99;
	double count_rate, total_rate;
};

struct ket_table {
	char kind[16];		/* stats | summary */
	char vm[64];		/* "" for the global summary */
	long vcpu;		/* -1 unless a vCPU table */
	uint64_t vcpus;
	uint64_t hz;
	uint64_t interval;	/* ticks since reset */
	uint64_t exits;		/* the "# exits:" line */
	struct ket_row rows[KET_EXIT_TYPES];
};

/*
 * Reads and parses a stats or summary file. Returns 0, or -errno if the
 * file cannot be read; a file that breaks the documented layout fails the
 * test with a message naming the line.
 */
int ket_read_table(const char *path, struct ket_table *t);

/* Sum of the counts of every exit row. */
uint64_t ket_exits(const struct ket_table *t);

struct ket_bucket {
	uint64_t lo, hi, count;
};

struct ket_hist_row {
	uint64_t count, p50, p90, p99, p999;
	int nbuckets;
	struct ket_bucket buckets[KET_BUCKETS];
};

struct ket_histogram {
	uint64_t hz;
	struct ket_hist_row rows[KET_EXIT_TYPES];
};

/* Reads and parses a histogram file, like ket_read_table(). */
int ket_read_histogram(const char *path, struct ket_histogram *h);

/* Reads a whole file into a malloc'ed, NUL-terminated buffer. */
char *ket_slurp(const char *path, size_t *len);

#endif /* KET_TABLE_H */
