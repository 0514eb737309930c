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
#define KET_EL2_ROWS	10
#define KET_BUCKETS	305

/* Row names, in table order (the ABI). */
extern const char *const ket_exit_types[KET_EXIT_TYPES];

/* Names of the EL2 section's rows, in table order (the ABI). */
extern const char *const ket_el2_rows[KET_EL2_ROWS];

/* Index of a row by name; aborts the test on an unknown name. */
int ket_type(const char *name);

/* Index of an EL2 row by name; aborts the test on an unknown name. */
int ket_el2_row(const char *name);

/* The EL2 row of exception class @ec. */
int ket_el2_row_of_class(unsigned int ec);

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
	/* "# forwarded:": exits forwarded to user space, not counted yet */
	uint64_t forwarded, forwarded_rows[KET_EXIT_TYPES];
	struct ket_row rows[KET_EXIT_TYPES];
	/* The EL2 section: "# traps: N (H to the host, E at EL2)", counts */
	uint64_t traps, traps_to_host, traps_at_el2;
	uint64_t el2[KET_EL2_ROWS];
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

/* The breakdowns: control's "breakdown NAME on|off", the files' names. */
#define KET_BREAKDOWNS	5
extern const char *const ket_breakdowns[KET_BREAKDOWNS];

/* Whether @name is a breakdown file's name. */
bool ket_is_breakdown(const char *name);

struct ket_key_row {
	char type[32];		/* an exit row, or OTHER */
	char key[64];		/* the register, function or instruction */
	char detail[32];	/* read | write, a function ID, or - */
	uint64_t count, min, max, avg, total, stddev, p50, p99;
};

#define KET_MAX_KEY_ROWS	65	/* 64 keys per file, then OTHER */

struct ket_breakdown {
	char kind[16];		/* sysregs, hypercalls, wfx, mmio, interrupts */
	bool on;		/* "# breakdown: on" */
	uint64_t vcpus;
	int nrows;		/* the last is OTHER */
	struct ket_key_row rows[KET_MAX_KEY_ROWS];
};

/* Reads and parses a breakdown file, like ket_read_table(). */
int ket_read_breakdown(const char *path, struct ket_breakdown *b);

/* The count of the row of @type and @key (and @detail unless NULL); 0 if
 * there is none. */
uint64_t ket_key_count(const struct ket_breakdown *b, const char *type, const char *key,
		       const char *detail);

/* The counts of every row of @type (NULL: every row, OTHER included). */
uint64_t ket_key_total(const struct ket_breakdown *b, const char *type);

/* Reads a whole file into a malloc'ed, NUL-terminated buffer. */
char *ket_slurp(const char *path, size_t *len);

#endif /* KET_TABLE_H */
