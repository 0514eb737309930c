// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "ket_module.h"
#include "ket_table.h"

const char *const ket_exit_types[KET_EXIT_TYPES] = {
	"WFX", "CP15_32", "CP15_64", "CP14_MR", "CP14_LS", "CP14_64",
	"HVC32", "SMC32", "HVC64", "SMC64", "SYS64", "IABT_LOW", "DABT_LOW",
	"DABT_IO_MEM", "DABT_USER_MEM", "DABT_IO_MEM_IPI", "INTERRUPT",
	"TIMEINGUEST", "DESCHEDULED", "DABT_IO_USER", "SYS64_IPI", "FP_ASIMD",
	"SVE", "PAC", "CP10_ID", "DEBUG", "ERET", "SVC64", "SERROR", "IL",
	"HYP_GONE", "UNKNOWN",
};

const char *const ket_el2_rows[KET_EL2_ROWS] = {
	"EL2_CP15_32", "EL2_SYS64", "EL2_FP_ASIMD", "EL2_SVE", "EL2_IABT_LOW",
	"EL2_DABT_LOW", "EL2_WATCHPT_LOW", "EL2_ERET", "EL2_MOPS", "EL2_OTHER",
};

int ket_el2_row(const char *name)
{
	int i;

	for (i = 0; i < KET_EL2_ROWS; i++)
		if (!strcmp(ket_el2_rows[i], name))
			return i;
	TEST_FAIL("unknown EL2 row '%s'", name);
	return -1;
}

int ket_el2_row_of_class(unsigned int ec)
{
	switch (ec) {
	case 0x03: return 0;	/* CP15_32 */
	case 0x18: return 1;	/* SYS64 */
	case 0x07: return 2;	/* FP_ASIMD */
	case 0x19: return 3;	/* SVE */
	case 0x20: return 4;	/* IABT_LOW */
	case 0x24: return 5;	/* DABT_LOW */
	case 0x34: return 6;	/* WATCHPT_LOW */
	case 0x1a: return 7;	/* ERET */
	case 0x27: return 8;	/* MOPS */
	default: return 9;	/* OTHER */
	}
}

int ket_type(const char *name)
{
	int i;

	for (i = 0; i < KET_EXIT_TYPES; i++)
		if (!strcmp(ket_exit_types[i], name))
			return i;
	TEST_FAIL("unknown exit type '%s'", name);
	return -1;
}

bool ket_type_is_exit(int type)
{
	return strcmp(ket_exit_types[type], "TIMEINGUEST") &&
	       strcmp(ket_exit_types[type], "DESCHEDULED");
}

char *ket_slurp(const char *path, size_t *len)
{
	size_t size = 0, cap = 8192;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	TEST_ASSERT(buf, "out of memory");
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + size, cap - size - 1)) > 0) {
		size += n;
		if (cap - size < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			TEST_ASSERT(buf, "out of memory");
		}
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[size] = 0;
	if (len)
		*len = size;
	return buf;
}

static const char *const columns[] = {
	"type", "count", "min", "max", "avg", "total", "stddev", "p50", "p99",
	"count/s", "total/s",
};

static const char *const el2_columns[] = { "type", "count", "share", "count/s" };

/* Checks a line of column names against @names. */
static void check_columns(const char *path, char *line, const char *const *names, int n)
{
	char *w, *save = NULL;
	int c = 0;

	for (w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save), c++)
		TEST_ASSERT(c < n && !strcmp(w, names[c]), "%s: column %d is '%s'", path, c, w);
	TEST_ASSERT(c == n, "%s: %d columns", path, c);
}

/* "# forwarded: N", then "(ROW n, ROW n)" when N is not 0. */
static void parse_forwarded(const char *path, const char *line, struct ket_table *t)
{
	const char *p = line + 13;
	uint64_t sum = 0;
	char name[32];
	uint64_t n;
	int len;

	TEST_ASSERT(sscanf(p, "%" SCNu64 "%n", &t->forwarded, &len) == 1, "%s: bad '%s'", path, line);
	p += len;
	if (*p == ' ')
		p++;
	if (*p == '(')
		p++;
	while (*p && *p != ')') {
		TEST_ASSERT(sscanf(p, "%31s %" SCNu64 "%n", name, &n, &len) == 2,
			    "%s: bad '%s'", path, line);
		t->forwarded_rows[ket_type(name)] += n;
		sum += n;
		p += len;
		if (*p == ',')
			p += 2;
	}
	TEST_ASSERT(sum == t->forwarded, "%s: '%s' does not add up", path, line);
}

/* A line of the EL2 section: its header lines, columns, then rows. */
static void parse_el2_line(const char *path, char *line, struct ket_table *t, int *row)
{
	char name[32], share[32];
	double rate;
	int n;

	if (line[0] == '#') {
		TEST_ASSERT(*row == -1, "%s: header line in the EL2 rows: '%s'", path, line);
		sscanf(line, "# traps: %" SCNu64 " (%" SCNu64 " to the host, %" SCNu64 " at EL2)",
		       &t->traps, &t->traps_to_host, &t->traps_at_el2);
		return;
	}
	if (*row == -1) {
		check_columns(path, line, el2_columns, 4);
		*row = 0;
		return;
	}
	TEST_ASSERT(*row < KET_EL2_ROWS, "%s: more than %d EL2 rows", path, KET_EL2_ROWS);
	n = sscanf(line, "%31s %" SCNu64 " %31s %lf", name, &t->el2[*row], share, &rate);
	TEST_ASSERT(n == 4 && share[strlen(share) - 1] == '%',
		    "%s: EL2 row %d does not parse: '%s'", path, *row, line);
	TEST_ASSERT(!strcmp(name, ket_el2_rows[*row]), "%s: EL2 row %d is '%s', expected '%s'",
		    path, *row, name, ket_el2_rows[*row]);
	(*row)++;
}

int ket_read_table(const char *path, struct ket_table *t)
{
	char *buf, *line, *save = NULL;
	int row = -1;		/* -1: header lines; 0..: rows */
	int el2_row = -2;	/* -2: not in the EL2 section; -1: its header */
	uint64_t el2_sum = 0;
	int i;

	buf = ket_slurp(path, NULL);
	if (!buf)
		return -errno;
	memset(t, 0, sizeof(*t));
	t->vcpu = -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		struct ket_row *r;
		int n;

		if (row == KET_EXIT_TYPES && el2_row == -2)
			el2_row = -1;	/* the table is done: the EL2 section */
		if (el2_row != -2) {
			parse_el2_line(path, line, t, &el2_row);
			continue;
		}
		if (line[0] == '#') {
			TEST_ASSERT(row == -1, "%s: header line after the table: '%s'", path, line);
			sscanf(line, "# kvm_exit_timing %*s %15s", t->kind);
			sscanf(line, "# vm: %63s", t->vm);
			sscanf(line, "# vcpu: %ld", &t->vcpu);
			sscanf(line, "# vcpus: %" SCNu64, &t->vcpus);
			sscanf(line, "# frequency: %" SCNu64 " Hz", &t->hz);
			sscanf(line, "# interval: %*s s since reset (%" SCNu64, &t->interval);
			sscanf(line, "# exits: %" SCNu64, &t->exits);
			if (!strncmp(line, "# forwarded: ", 13))
				parse_forwarded(path, line, t);
			continue;
		}
		if (row == -1) {
			check_columns(path, line, columns, 11);
			row = 0;
			continue;
		}
		TEST_ASSERT(row < KET_EXIT_TYPES, "%s: more than %d rows", path, KET_EXIT_TYPES);
		r = &t->rows[row];
		n = sscanf(line, "%31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %lf %lf",
			   name, &r->count, &r->min, &r->max, &r->avg, &r->total, &r->stddev,
			   &r->p50, &r->p99, &r->count_rate, &r->total_rate);
		TEST_ASSERT(n == 11, "%s: row %d does not parse: '%s'", path, row, line);
		TEST_ASSERT(!strcmp(name, ket_exit_types[row]),
			    "%s: row %d is '%s', expected '%s'", path, row, name, ket_exit_types[row]);
		row++;
	}
	free(buf);
	TEST_ASSERT(row == KET_EXIT_TYPES, "%s: %d rows", path, row);
	TEST_ASSERT(el2_row == KET_EL2_ROWS, "%s: %d EL2 rows", path, el2_row);
	for (i = 0; i < KET_EL2_ROWS; i++)
		el2_sum += t->el2[i];
	TEST_ASSERT(t->traps_to_host == ket_exits(t) - t->rows[ket_type("INTERRUPT")].count -
		    t->rows[ket_type("SERROR")].count - t->rows[ket_type("IL")].count -
		    t->rows[ket_type("HYP_GONE")].count,
		    "%s: %lu traps to the host, not the trap rows' count", path, t->traps_to_host);
	TEST_ASSERT(t->traps == t->traps_to_host + t->traps_at_el2 && t->traps_at_el2 == el2_sum,
		    "%s: '# traps: %lu (%lu to the host, %lu at EL2)', EL2 rows say %lu",
		    path, t->traps, t->traps_to_host, t->traps_at_el2, el2_sum);
	TEST_ASSERT(t->hz, "%s: no frequency line", path);
	TEST_ASSERT(t->exits == ket_exits(t), "%s: '# exits: %lu', rows say %lu",
		    path, t->exits, ket_exits(t));
	return 0;
}

uint64_t ket_exits(const struct ket_table *t)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < KET_EXIT_TYPES; i++)
		if (ket_type_is_exit(i))
			sum += t->rows[i].count;
	return sum;
}

int ket_read_histogram(const char *path, struct ket_histogram *h)
{
	char *buf, *line, *save = NULL;
	int rows = 0;

	buf = ket_slurp(path, NULL);
	if (!buf)
		return -errno;
	memset(h, 0, sizeof(*h));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		struct ket_hist_row *r;
		struct ket_bucket b;

		if (line[0] == '#') {
			sscanf(line, "# frequency: %" SCNu64 " Hz", &h->hz);
			continue;
		}
		if (!strncmp(line, "percentiles ", 12)) {
			int t;

			TEST_ASSERT(sscanf(line, "percentiles %31s", name) == 1, "%s: '%s'", path, line);
			t = ket_type(name);
			TEST_ASSERT(t == rows, "%s: percentiles of '%s' out of order", path, name);
			r = &h->rows[t];
			TEST_ASSERT(sscanf(line, "percentiles %*s %" SCNu64 " %" SCNu64 " %" SCNu64
					   " %" SCNu64 " %" SCNu64,
					   &r->count, &r->p50, &r->p90, &r->p99, &r->p999) == 5,
				    "%s: '%s'", path, line);
			rows++;
			continue;
		}
		TEST_ASSERT(sscanf(line, "bucket %31s %" SCNu64 " %" SCNu64 " %" SCNu64,
				   name, &b.lo, &b.hi, &b.count) == 4,
			    "%s: unexpected line '%s'", path, line);
		TEST_ASSERT(rows > 0 && ket_type(name) == rows - 1,
			    "%s: bucket of '%s' outside its type's lines", path, name);
		r = &h->rows[rows - 1];
		TEST_ASSERT(r->nbuckets < KET_BUCKETS, "%s: too many buckets", path);
		r->buckets[r->nbuckets++] = b;
	}
	free(buf);
	TEST_ASSERT(rows == KET_EXIT_TYPES, "%s: %d percentile lines", path, rows);
	return 0;
}

const char *const ket_breakdowns[KET_BREAKDOWNS] = { "sysregs", "hypercalls", "wfx", "mmio",
						     "interrupts" };

bool ket_is_breakdown(const char *name)
{
	int i;

	for (i = 0; i < KET_BREAKDOWNS; i++)
		if (!strcmp(name, ket_breakdowns[i]))
			return true;
	return false;
}

static const char *const key_columns[] = {
	"type", "key", "detail", "count", "min", "max", "avg", "total", "stddev", "p50", "p99",
	"count/s", "total/s",
};

int ket_read_breakdown(const char *path, struct ket_breakdown *b)
{
	char *buf, *line, *save = NULL, on[8] = "";
	bool columns = false;

	buf = ket_slurp(path, NULL);
	if (!buf)
		return -errno;
	memset(b, 0, sizeof(*b));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ket_key_row *r;
		double rates[2];
		int n;

		if (line[0] == '#') {
			TEST_ASSERT(!columns, "%s: header line after the columns: '%s'", path, line);
			sscanf(line, "# kvm_exit_timing %*s %15s", b->kind);
			sscanf(line, "# vcpus: %" SCNu64, &b->vcpus);
			sscanf(line, "# breakdown: %7s", on);
			continue;
		}
		if (!columns) {
			check_columns(path, line, key_columns, 13);
			columns = true;
			continue;
		}
		TEST_ASSERT(b->nrows < KET_MAX_KEY_ROWS, "%s: more than %d rows", path,
			    KET_MAX_KEY_ROWS);
		TEST_ASSERT(!b->nrows || strcmp(b->rows[b->nrows - 1].type, "OTHER"),
			    "%s: a row after OTHER: '%s'", path, line);
		r = &b->rows[b->nrows++];
		n = sscanf(line, "%31s %63s %31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %lf %lf",
			   r->type, r->key, r->detail, &r->count, &r->min, &r->max, &r->avg,
			   &r->total, &r->stddev, &r->p50, &r->p99, &rates[0], &rates[1]);
		TEST_ASSERT(n == 13, "%s: row %d does not parse: '%s'", path, b->nrows - 1, line);
		TEST_ASSERT(!strcmp(r->type, "OTHER") || ket_type(r->type) >= 0,
			    "%s: row of unknown type '%s'", path, r->type);
		TEST_ASSERT(r->count ? r->min <= r->avg && r->avg <= r->max && r->p50 <= r->p99 :
			    !r->min && !r->max && !r->total,
			    "%s: row '%s %s' out of order", path, r->type, r->key);
	}
	free(buf);
	TEST_ASSERT(ket_is_breakdown(b->kind), "%s: kind '%s'", path, b->kind);
	TEST_ASSERT(!strcmp(on, "on") || !strcmp(on, "off"), "%s: no breakdown: line", path);
	b->on = !strcmp(on, "on");
	TEST_ASSERT(b->nrows && !strcmp(b->rows[b->nrows - 1].type, "OTHER"),
		    "%s: does not end with OTHER", path);
	return 0;
}

uint64_t ket_key_count(const struct ket_breakdown *b, const char *type, const char *key,
		       const char *detail)
{
	int i;

	for (i = 0; i < b->nrows; i++)
		if (!strcmp(b->rows[i].type, type) && !strcmp(b->rows[i].key, key) &&
		    (!detail || !strcmp(b->rows[i].detail, detail)))
			return b->rows[i].count;
	return 0;
}

uint64_t ket_key_total(const struct ket_breakdown *b, const char *type)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < b->nrows; i++)
		if (!type || !strcmp(b->rows[i].type, type))
			sum += b->rows[i].count;
	return sum;
}
