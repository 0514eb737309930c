// SPDX-License-Identifier: GPL-2.0
/*
 * reader_test: reading kvm_exit_timing's files in pieces gives what one
 * read() gives, and readers racing with running vCPUs only see rows that
 * could have existed.
 *
 * Part A, timing disabled so that no count changes: every readable file
 * of the tree, read with 1-byte reads, with reads of 2, 3, 5, 7, 13 and
 * 4093 bytes in turn, with pread(2) at offsets, and with lseek(SEEK_SET)
 * then reads to EOF, gives the bytes one large read() has at the same
 * offsets (seq_file positions are byte offsets), but for what changes
 * with time (see mask()). Part B: two vCPUs make HVCs without a stop
 * while two threads read their tables, their VM's summary and their
 * histograms; every row read must be one that could exist (check_row(),
 * check_hist()), and no count goes back from one read to the next.
 *
 * Usage: reader_test [-s seconds], Part B's length (default 3). Needs root
 * and no other VM running; loads the module if needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_module.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define BIG		(4 << 20)	/* more than any file */
#define TRIES		5
#define OFFSETS		12
#define MAX_FILES	64
#define below(n)	(random() % (n))	/* Part A's offsets and sizes */

enum method { M_ONE, M_ODD, M_PREAD, M_SEEK, NR_METHODS };

struct text {
	char *buf, *mask;	/* what one read() gave; bytes that may change */
	size_t len;
};

static uint64_t hvcs, stop;	/* shared with the guest */
static char *big, files[MAX_FILES][512];
static int nfiles;
static bool readers_stop;
static char paths[5][192];	/* Part B: vcpu0, vcpu1 stats, summary, histograms */
static uint64_t violations[2];	/* Part B: in tables, in histograms */
static uint64_t rounds, changes;	/* Part B: rounds of reads, new HVC64 counts seen */
static pthread_mutex_t violation_lock = PTHREAD_MUTEX_INITIALIZER;

static void guest_code(void)
{
	struct arm_smccc_res res;
	uint64_t i;

	GUEST_SYNC(0);
	for (i = 0; i < READ_ONCE(hvcs) && !READ_ONCE(stop); i++)
		smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
	GUEST_DONE();
}

static void *run_to_done(void *vcpu)
{
	ket_run_to(vcpu, UCALL_DONE);
	return NULL;
}

static void reenable(void)	/* at exit: never leave timing disabled */
{
	ket_control_write("enable");
}

/*
 * The fields of a line of a file of kind @kind that come before its rates
 * (count/s, total/s: per_second() in rust/pure/table.rs), or -1 if it has
 * none: exit rows of stats and summary tables (9), their EL2 rows (3),
 * the rows of breakdown files (11), the rows by kind of ipi files (9).
 */
static int fields_before_rates(const char *kind, const char *line)
{
	if (*line == '#')
		return -1;
	if (!strncmp(line, "EL2_", 4))
		return 3;
	if (!strcmp(kind, "stats") || !strcmp(kind, "summary"))
		return 9;
	if (ket_is_breakdown(kind))
		return 11;
	if (!strcmp(kind, "ipi") && !strncmp(line, "SGI_TO_", 7))
		return 9;
	return -1;
}

/*
 * Which bytes may differ between two reads although timing is disabled
 * (rust/pure/table.rs, with intervals from clock::now() in rust/files/):
 * the "# interval:" line, time since the last reset (write_header()); the
 * rates over that interval, from the end of the field before them on,
 * with their padding: a column is as wide as its widest cell. Nothing
 * else depends on time. A change of length is not masked: it shows as a
 * mismatch, which check() retries.
 */
static void mask(struct text *t)
{
	char kind[16] = "", *line, *end, *p;
	int f, fields;

	sscanf(t->buf, "# kvm_exit_timing %*s %15s", kind);
	t->mask = calloc(t->len, 1);
	TEST_ASSERT(t->mask, "out of memory");
	for (line = t->buf; line < t->buf + t->len; line = end + 1) {
		end = memchr(line, '\n', t->buf + t->len - line) ?: t->buf + t->len;
		fields = fields_before_rates(kind, line);
		for (p = line, f = 0; f < fields; f++)
			p += strspn(p, " "), p += strcspn(p, " \n");
		p = !strncmp(line, "# interval:", 11) ? line : p > line ? p : end;
		memset(t->mask + (p - t->buf), 1, end - p);
	}
}

/* One read() of the whole file: the next one must return 0 (EOF). */
static void read_once(const char *path, struct text *t)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, more;

	TEST_ASSERT(fd >= 0, "cannot open %s: %s", path, strerror(errno));
	n = read(fd, big, BIG);
	more = n > 0 ? read(fd, big + n, 1) : -1;
	TEST_ASSERT(n > 0 && !more, "%s: one read() of %d bytes gave %zd, the next %zd",
		    path, BIG, n, more);
	close(fd);
	t->len = n;
	t->buf = calloc(n + 1, 1);
	TEST_ASSERT(t->buf, "out of memory");
	memcpy(t->buf, big, n);
	mask(t);
}

/* Whether the @n bytes in big[] are those @t has at @off, masks aside. */
static bool same(const struct text *t, size_t off, size_t n, char *why)
{
	char *g = big, *w = t->buf + off;
	size_t i;

	for (i = 0; i < n; i++, g++, w++)
		if (t->mask[off + i] ? (*g == '\n') != (*w == '\n') : *g != *w) {
			sprintf(why, "at offset %zu read '%.*s', one read() has '%.*s'", off + i,
				(int)min(strcspn(g, "\n"), min(n - i, 40ul)), g,
				(int)min(strcspn(w, "\n"), 40ul), w);
			return false;
		}
	return true;
}

/*
 * Reads @fd from @off (M_SEEK: after lseek(); M_ONE, M_ODD: a fresh file
 * at 0) to EOF, or once (M_PREAD), in reads of 1 byte, of 2, 3, 5, 7, 13
 * and 4093 bytes in turn, or of random sizes. Every read must return all
 * it asked for, or all that is left; at EOF the position is the length.
 */
static bool read_at(int fd, const struct text *t, size_t off, enum method m, char *why)
{
	static const size_t odd[] = { 2, 3, 5, 7, 13, 4093 };
	size_t pos = 0, s, left = off < t->len ? t->len - off : 0;
	ssize_t n;
	int k;

	if (m == M_SEEK && lseek(fd, off, SEEK_SET) != (off_t)off) {
		sprintf(why, "lseek(%zu): %s", off, strerror(errno));
		return false;
	}
	for (k = 0; ; k++) {
		s = m == M_ONE ? 1 : m == M_ODD ? odd[k % ARRAY_SIZE(odd)] : 1 + below(t->len + 16);
		n = m == M_PREAD ? pread(fd, big, s, off) : read(fd, big + pos, s);
		if (n != (ssize_t)min(s, left - pos)) {
			sprintf(why, "%s(%zu) at %zu gave %zd, want %zu %s",
				m == M_PREAD ? "pread" : "read", s, off + pos, n,
				min(s, left - pos), n < 0 ? strerror(errno) : "");
			return false;
		}
		pos += n;
		if (!n || m == M_PREAD)
			break;
	}
	if (m != M_PREAD && lseek(fd, 0, SEEK_CUR) != (off_t)(off + pos)) {
		sprintf(why, "at EOF after %zu bytes from %zu the position is %ld", pos, off,
			(long)lseek(fd, 0, SEEK_CUR));
		return false;
	}
	return same(t, off, pos, why);
}

/* Reads @path by @m, at OFFSETS offsets on one descriptor for M_PREAD and
 * M_SEEK, against a fresh large read; when they differ, tries again, as a
 * rate or the interval may have changed length meanwhile (a wrong read
 * differs every time). */
static bool check(const char *path, enum method m, int *retries, char *why)
{
	size_t off;
	struct text t;
	bool ok = false;
	int i, k, fd;

	for (i = 0; i < TRIES && !ok; i++) {
		read_once(path, &t);
		fd = open(path, O_RDONLY);
		TEST_ASSERT(fd >= 0, "cannot open %s: %s", path, strerror(errno));
		for (k = 0, ok = true; ok && k < (m < M_PREAD ? 1 : OFFSETS); k++) {
			off = m < M_PREAD || !k ? 0 : k == 1 ? t.len : k == 2 ? t.len + 1 + below(99) :
			      k == 3 ? t.len - 1 : below(t.len);
			ok = read_at(fd, &t, off, m, why);
		}
		close(fd);
		free(t.buf);
		free(t.mask);
	}
	*retries += i - 1;
	return ok;
}

/* nftw() callback: lists the readable files. */
static int add_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_F && S_ISREG(st->st_mode) && (st->st_mode & S_IRUSR) && nfiles < MAX_FILES)
		snprintf(files[nfiles++], sizeof(files[0]), "%s", path);
	return 0;
}

static void part_a(void)
{
	static const char *const names[] = { "1-byte reads", "reads of 2,3,5,7,13,4093 bytes",
					     "pread", "lseek and read" };
	char why[256], path[256];
	struct kvm_vcpu *vcpu;
	int i, m, retries, ret;
	struct ket_table t;
	struct kvm_vm *vm;
	bool ok;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	hvcs = 200;
	sync_global_to_guest(vm, hvcs);
	ket_run_to(vcpu, UCALL_SYNC);
	ket_run_to(vcpu, UCALL_DONE);
	ket_vcpu_table(vm, 0, &t);
	TEST_ASSERT_EQ(t.rows[ket_type("HVC64")].count, 200);
	ret = ket_control_write("disable");
	TEST_ASSERT(!ret, "writing disable to control: %s", strerror(-ret));
	TEST_ASSERT(!nftw(KET_DEBUGFS_ROOT, add_file, 8, FTW_PHYS), "walking %s: %s",
		    KET_DEBUGFS_ROOT, strerror(errno));
	snprintf(path, sizeof(path), KET_DEBUGFS_ROOT "/%s/vcpu0/histogram", t.vm);
	for (i = 0; i < nfiles && strcmp(files[i], path); i++)
		;
	/* control, summary, and the VM's summary, stats and histogram */
	TEST_ASSERT(nfiles >= 5 && i < nfiles, "the walk found %d files, not %s", nfiles, path);
	ksft_set_plan(nfiles + 3);
	for (i = 0; i < nfiles; i++) {
		for (m = 0, ok = true, retries = 0; m < NR_METHODS; m++)
			if (!check(files[i], m, &retries, why)) {
				ksft_print_msg("  %s: %s: %s\n", files[i], names[m], why);
				ok = false;
			}
		ksft_test_result(ok, "%s: 1-byte reads, reads of 2,3,5,7,13,4093 bytes, %d preads and %d lseeks give what one read() gives (%d retries)\n",
				 files[i] + strlen(KET_DEBUGFS_ROOT) + 1, OFFSETS, OFFSETS, retries);
	}
	ret = ket_control_write("enable");
	TEST_ASSERT(!ret, "writing enable to control: %s", strerror(-ret));
	kvm_vm_free(vm);
}

/* Counts a violation of @kind (0: tables, 1: histograms); prints the first 20. */
#define violation(kind, fmt, ...) do {						\
	pthread_mutex_lock(&violation_lock);					\
	if (violations[0] + violations[1] < 20)					\
		ksft_print_msg(fmt, ##__VA_ARGS__);				\
	violations[kind]++;							\
	pthread_mutex_unlock(&violation_lock);					\
} while (0)

/*
 * A row that could exist (rust/row.rs, rust/table.rs): empty, all zeros;
 * else min <= avg <= max, count * min <= total <= count * max, avg the
 * rounded-down total / count (avg()), the percentiles between min and max
 * (percentile() caps at max), and a standard deviation of at most half
 * the range. Against the same file's previous read @prev, nothing went
 * back: no reset happens meanwhile.
 */
static void check_row(const char *path, int i, const struct ket_row *r, const struct ket_row *prev)
{
	unsigned __int128 c = r->count;

	if (!r->count ? r->min || r->max || r->avg || r->total || r->stddev || r->p50 || r->p99 :
	    r->min > r->avg || r->avg > r->max || r->total < c * r->min || r->total > c * r->max ||
	    r->avg != r->total / r->count || r->p50 < r->min || r->p50 > r->p99 ||
	    r->p99 > r->max || 2 * (unsigned __int128)r->stddev > r->max - r->min)
		violation(0, "%s %s: count %lu min %lu max %lu avg %lu total %lu stddev %lu p50 %lu p99 %lu cannot be\n",
			  path, ket_exit_types[i], r->count, r->min, r->max, r->avg, r->total,
			  r->stddev, r->p50, r->p99);
	if (prev && (r->count < prev->count || r->total < prev->total || r->max < prev->max ||
		     (prev->count && r->min > prev->min)))
		violation(0, "%s %s went back: count %lu -> %lu, total %lu -> %lu, min %lu -> %lu, max %lu -> %lu\n",
			  path, ket_exit_types[i], prev->count, r->count, prev->total, r->total,
			  prev->min, r->min, prev->max, r->max);
}

/*
 * A histogram that could exist: per row, non-empty buckets in order whose
 * counts add up to the count, and each percentile in the bucket holding
 * the value of rank ceil(count * q) (rust/histogram.rs percentile());
 * counts never below those of @prev, the previous read's.
 */
static void check_hist(const char *path, const struct ket_histogram *h, uint64_t *prev)
{
	static const uint64_t per_mille[4] = { 500, 900, 990, 999 };
	const struct ket_bucket *b;
	uint64_t sum, rank, pct[4];
	int i, j, p;

	for (i = 0; i < KET_EXIT_TYPES; i++) {
		const struct ket_hist_row *r = &h->rows[i];
		bool ordered = true;

		for (j = 0, sum = 0, b = r->buckets; j < r->nbuckets; j++, b++) {
			sum += b->count;
			ordered &= b->count && b->lo <= b->hi && (!j || b->lo > b[-1].hi);
		}
		if (!ordered || sum != r->count || r->count < prev[i])
			violation(1, "%s %s: %d buckets (%s) sum to %lu, count %lu, was %lu\n", path,
				  ket_exit_types[i], r->nbuckets, ordered ? "in order" : "out of order",
				  sum, r->count, prev[i]);
		prev[i] = r->count;
		pct[0] = r->p50, pct[1] = r->p90, pct[2] = r->p99, pct[3] = r->p999;
		for (p = 0; p < 4; p++) {
			rank = max((r->count * per_mille[p] + 999) / 1000, 1ul);
			for (j = 0, sum = 0, b = r->buckets; j < r->nbuckets; j++, b++)
				if ((sum += b->count) >= rank)
					break;
			if (r->count ? j == r->nbuckets || pct[p] < b->lo || pct[p] > b->hi : pct[p])
				violation(1, "%s %s: percentile %lu of %lu is %lu, not in the bucket of rank %lu\n",
					  path, ket_exit_types[i], per_mille[p], r->count, pct[p], rank);
		}
	}
}

/* Reads the tables and histograms of paths[] until told to stop. */
static void *reader(void *unused)
{
	struct ket_histogram *h = malloc(sizeof(*h));
	uint64_t prev_counts[2][KET_EXIT_TYPES] = {}, n;
	int k, i, hvc = ket_type("HVC64");
	struct ket_table prev[3], t;

	TEST_ASSERT(h, "out of memory");
	for (n = 0; !READ_ONCE(readers_stop); n++) {
		for (k = 0; k < 3; k++) {
			TEST_ASSERT(!ket_read_table(paths[k], &t), "reading %s", paths[k]);
			for (i = 0; i < KET_EXIT_TYPES; i++)
				check_row(paths[k], i, &t.rows[i], n ? &prev[k].rows[i] : NULL);
			if (n && t.rows[hvc].count != prev[k].rows[hvc].count)
				__atomic_add_fetch(&changes, 1, __ATOMIC_RELAXED);
			prev[k] = t;
		}
		for (k = 0; k < 2; k++) {
			TEST_ASSERT(!ket_read_histogram(paths[3 + k], h), "reading %s", paths[3 + k]);
			check_hist(paths[3 + k], h, prev_counts[k]);
		}
		__atomic_add_fetch(&rounds, 1, __ATOMIC_RELAXED);
	}
	free(h);
	return NULL;
}

static void part_b(int seconds)
{
	static const char *const names[] = { "vcpu0/stats", "vcpu1/stats", "summary",
					     "vcpu0/histogram", "vcpu1/histogram" };
	struct kvm_vcpu *vcpus[2];
	pthread_t threads[4];
	uint64_t hvc[2];
	struct ket_table t;
	struct kvm_vm *vm;
	char dir[128];
	bool ok = true;
	int i;

	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	hvcs = ~0ull;
	sync_global_to_guest(vm, hvcs);
	ket_vm_dir(vm, dir, sizeof(dir));
	for (i = 0; i < ARRAY_SIZE(names); i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]);
	for (i = 0; i < 2; i++) {
		ket_run_to(vcpus[i], UCALL_SYNC);
		TEST_ASSERT(ket_wait_for(paths[3 + i], 10), "%s did not appear", paths[3 + i]);
	}
	for (i = 0; i < 4; i++)
		TEST_ASSERT(!pthread_create(&threads[i], NULL, i < 2 ? run_to_done : reader,
					    i < 2 ? vcpus[i] : NULL), "pthread_create");
	sleep(seconds);
	WRITE_ONCE(readers_stop, true);
	pthread_join(threads[2], NULL);
	pthread_join(threads[3], NULL);
	stop = 1;
	sync_global_to_guest(vm, stop);
	pthread_join(threads[0], NULL);
	pthread_join(threads[1], NULL);
	/* Reads that never saw a count change did not race with anything. */
	ksft_test_result(!violations[0] && changes,
			 "%lu tables read by 2 threads in %d s while 2 vCPUs ran, %lu with new HVC64 counts: %lu impossible rows\n",
			 3 * rounds, seconds, changes, violations[0]);
	ksft_test_result(!violations[1] && rounds,
			 "%lu histograms read meanwhile: %lu impossible rows\n",
			 2 * rounds, violations[1]);
	/* The readers disturbed nothing: the tables agree with KVM's counters. */
	for (i = 0; i < 2; i++) {
		vcpu_run_complete_io(vcpus[i]);
		ket_vcpu_table(vm, i, &t);
		hvc[i] = t.rows[ket_type("HVC64")].count;
		ok &= ket_kvm_stats_match(vcpus[i], &t) && hvc[i];
	}
	ksft_test_result(ok, "then both vCPUs' tables match KVM's binary stats (%lu and %lu HVC64)\n",
			 hvc[0], hvc[1]);
	kvm_vm_free(vm);
}

static const char usage[] =
	"usage: %1$s [-s seconds] [-h]\n"
	"  -s: how long readers race with running vCPUs (part B), 1..3600 (default 3)\n"
	"  -h: this help\n";

int main(int argc, char **argv)
{
	int seconds;

	seconds = ket_size_opt(argc, argv, 's', 3, 1, 3600, usage);
	ksft_print_header();
	ket_require_module();
	big = calloc(BIG + 1, 1);	/* NUL-terminated for same()'s messages */
	TEST_ASSERT(big, "out of memory");
	atexit(reenable);
	part_a();
	part_b(seconds);
	ksft_finished();
}
