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

int ket_read_table(const char *path, struct ket_table *t)
{
	char *buf, *line, *save = NULL;
	int row = -1;		/* -1: header lines; 0..: rows */

	buf = ket_slurp(path, NULL);
	if (!buf)
		return -errno;
	memset(t, 0, sizeof(*t));
	t->vcpu = -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		struct ket_row *r;
		int n;

		if (line[0] == '#') {
			TEST_ASSERT(row == -1, "%s: header line after the table: '%s'", path, line);
			sscanf(line, "# kvm_exit_timing %*s %15s", t->kind);
			sscanf(line, "# vm: %63s", t->vm);
			sscanf(line, "# vcpu: %ld", &t->vcpu);
			sscanf(line, "# vcpus: %" SCNu64, &t->vcpus);
			sscanf(line, "# frequency: %" SCNu64 " Hz", &t->hz);
			sscanf(line, "# interval: %*s s since reset (%" SCNu64, &t->interval);
			sscanf(line, "# exits: %" SCNu64, &t->exits);
			continue;
		}
		if (row == -1) {
			char *w, *s2 = NULL;
			int c = 0;

			for (w = strtok_r(line, " ", &s2); w; w = strtok_r(NULL, " ", &s2), c++)
				TEST_ASSERT(c < 11 && !strcmp(w, columns[c]),
					    "%s: column %d is '%s'", path, c, w);
			TEST_ASSERT(c == 11, "%s: %d columns", path, c);
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
