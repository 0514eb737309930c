// SPDX-License-Identifier: GPL-2.0
/*
 * vm_churn_test: kvm_exit_timing survives VM churn with readers walking
 * directories that vanish under them.
 *
 *   vm_churn_test [-n cycles]	(default 50; make stress runs 2000)
 *
 * The main thread creates and destroys VMs, 1 and 2 vCPUs alternately,
 * each vCPU making HVCS HVCs. Every CHECK_EVERY-th VM (and the last) is
 * checked: each vCPU's table must match KVM's binary stats and count
 * exactly HVCS HVC64, its hypercalls breakdown (every breakdown is on)
 * HVCS PSCI_VERSION. Meanwhile two reader threads list the module's
 * tree and read every file whole. Entries that vanish may only fail as
 * fs/debugfs/file.c makes them: ENOENT for an open (full_proxy_open()
 * turns debugfs_file_get()'s -EIO into -ENOENT), a lookup or a readdir
 * in a removed directory, or a VM summary read after its VM was retired
 * (files.rs); EIO for a read of a file removed while open
 * (FULL_PROXY_FUNC(read) returns debugfs_file_get()'s -EIO). Any other
 * error, or a file that reads whole but breaks the documented layout or
 * names another VM or vCPU than its directory, fails the test. Then the
 * control file's "vms:" and "vcpus:" must come back to their values from
 * before within 10 s, and no event or file may have been lost.
 *
 * Needs root and no other VM coming or going; loads the module if needed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#define HVCS		8
#define CHECK_EVERY	10
#define READERS		2
#define MAX_ERRNO	256
#define MAX_REPORTS	10	/* errors each reader prints */

/* What each reader counts. */
enum { PASSES, DIRS, READS, VM_READS, OPENS, ENOENTS, EIOS, GARBAGE, REPORTS, COUNTERS };

struct reader {
	pthread_t thread;
	struct ket_histogram *hist;
	struct ket_breakdown *breakdown;
	uint64_t n[COUNTERS];
	uint64_t errors[MAX_ERRNO];	/* other than ENOENT, EIO; [0]: out of range */
};

static bool done;

static void guest_code(void)
{
	ket_guest_hvcs(HVCS);
	GUEST_SYNC(0);
	GUEST_DONE();
}

static void failed(struct reader *r, int err, const char *what, const char *path)
{
	if (err == ENOENT || err == EIO) {
		r->n[err == EIO ? EIOS : ENOENTS]++;
		return;
	}
	r->errors[err > 0 && err < MAX_ERRNO ? err : 0]++;
	if (r->n[REPORTS]++ < MAX_REPORTS)
		ksft_print_msg("  reader: %s %s: %s\n", what, path, strerror(err));
}

static void garbage(struct reader *r, const char *path, const char *row, const char *why)
{
	r->n[GARBAGE]++;
	if (r->n[REPORTS]++ < MAX_REPORTS)
		ksft_print_msg("  reader: %s: %s%s%s\n", path, row, *row ? ": " : "", why);
}

/* A table read whole: its header names the right scope, its rows hold
 * together (ket_read_table() checked the layout and the exits line). */
static void check_table(struct reader *r, const char *path, const struct ket_table *t,
			const char *kind, const char *vm, long vcpu)
{
	int i;

	if (strcmp(t->kind, kind) || strcmp(t->vm, vm ? vm : "") || t->vcpu != vcpu ||
	    (vm && vcpu < 0 && (t->vcpus < 1 || t->vcpus > 2)))
		garbage(r, path, "", "header names another kind, VM or vCPU than its place");
	for (i = 0; i < KET_EXIT_TYPES; i++) {
		const struct ket_row *w = &t->rows[i];

		if (w->count ? !(w->min <= w->avg && w->avg <= w->max && w->total >= w->max) :
			       (w->min || w->max || w->total))
			garbage(r, path, ket_exit_types[i], "min, avg, max and total disagree");
	}
}

static void check_histogram(struct reader *r, const char *path)
{
	uint64_t sum;
	int i, b;

	for (i = 0; i < KET_EXIT_TYPES; i++) {
		for (b = 0, sum = 0; b < r->hist->rows[i].nbuckets; b++)
			sum += r->hist->rows[i].buckets[b].count;
		if (sum != r->hist->rows[i].count)
			garbage(r, path, ket_exit_types[i], "bucket counts do not add up to the count");
	}
}

static void read_file(struct reader *r, const char *path, const char *name,
		      const char *vm, long vcpu)
{
	struct ket_table t;
	char *text;
	int err, fd;

	if (!strcmp(name, "stats") || !strcmp(name, "summary")) {
		err = -ket_read_table(path, &t);
		if (!err)
			check_table(r, path, &t, name, vm, vcpu);
	} else if (!strcmp(name, "histogram")) {
		err = -ket_read_histogram(path, r->hist);
		if (!err)
			check_histogram(r, path);
	} else if (ket_is_breakdown(name)) {
		/* The parser fails the test on a file out of layout. */
		err = -ket_read_breakdown(path, r->breakdown);
	} else if (!strcmp(name, "ipi")) {
		text = ket_slurp(path, NULL);
		err = text ? 0 : errno;
		if (text && !strstr(text, "\nSGI_TO_IN_HOST "))
			garbage(r, path, "", "no SGI_TO_IN_HOST row");
		free(text);
	} else if (!strcmp(name, "control")) {
		text = ket_slurp(path, NULL);
		err = text ? 0 : errno;
		if (text && (!strstr(text, "\nvms: ") || !strstr(text, "\ndropped_no_state: ")))
			garbage(r, path, "", "no vms: or dropped_no_state: line");
		free(text);
	} else if (!strcmp(name, "reset")) {
		/* Write-only, and a write would reset the checked VMs. */
		fd = open(path, O_WRONLY);
		if (fd < 0) {
			failed(r, errno, "opening", path);
			return;
		}
		close(fd);
		r->n[OPENS]++;
		return;
	} else {
		garbage(r, path, "", "unexpected file");
		return;
	}
	if (err) {
		failed(r, err, "reading", path);
		return;
	}
	r->n[READS]++;
	r->n[VM_READS] += !!vm;
}

/* Lists @path (depth 0: the module's root) and reads what it holds. */
static void walk(struct reader *r, const char *path, int depth, const char *vm, long vcpu)
{
	char child[256];
	struct dirent *d;
	long id;
	DIR *dir;

	dir = opendir(path);
	if (!dir) {
		failed(r, errno, "opendir", path);
		return;
	}
	r->n[DIRS]++;
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (!d) {
			if (errno)
				failed(r, errno, "readdir", path);
			break;
		}
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", path, d->d_name) >= sizeof(child)) {
			garbage(r, path, "", "name too long");
			continue;
		}
		if (d->d_type == DT_REG)
			read_file(r, child, d->d_name, vm, vcpu);
		else if (d->d_type == DT_DIR && depth == 0)
			walk(r, child, 1, d->d_name, -1);
		else if (d->d_type == DT_DIR && depth == 1 && sscanf(d->d_name, "vcpu%ld", &id) == 1)
			walk(r, child, 2, vm, id);
		else
			garbage(r, child, "", "unexpected directory entry");
	}
	closedir(dir);
}

static void *reader(void *arg)
{
	struct reader *r = arg;

	while (!__atomic_load_n(&done, __ATOMIC_RELAXED)) {
		walk(r, KET_DEBUGFS_ROOT, 0, NULL, -1);
		r->n[PASSES]++;
	}
	return NULL;
}

/* Each vCPU's table against KVM's stats; the VM's vCPUs are at their sync. */
static bool check_vm(struct kvm_vm *vm, struct kvm_vcpu **vcpus, int nr)
{
	static struct ket_breakdown hypercalls;
	char dir[128], path[192];
	struct ket_table t;
	bool ok = true;
	int v, ret;

	ket_vm_dir(vm, dir, sizeof(dir));
	for (v = 0; v < nr; v++) {
		vcpu_run_complete_io(vcpus[v]);
		snprintf(path, sizeof(path), "%s/vcpu%d/stats", dir, v);
		if (!ket_wait_for(path, 10)) {
			ksft_print_msg("  %s did not appear within 10 s\n", path);
			ok = false;
			continue;
		}
		ret = ket_read_table(path, &t);
		if (ret) {
			ksft_print_msg("  reading %s: %s\n", path, strerror(-ret));
			ok = false;
			continue;
		}
		/* ket_kvm_stats_match() prints what differs. */
		ok &= ket_kvm_stats_match(vcpus[v], &t);
		if (t.rows[ket_type("HVC64")].count != HVCS) {
			ksft_print_msg("  %s: %lu HVC64, want %d\n", path,
				       t.rows[ket_type("HVC64")].count, HVCS);
			ok = false;
		}
		snprintf(path, sizeof(path), "%s/vcpu%d/hypercalls", dir, v);
		ret = ket_read_breakdown(path, &hypercalls);
		if (ret || ket_key_count(&hypercalls, "HVC64", "PSCI_VERSION", NULL) != HVCS) {
			ksft_print_msg("  %s: %lu PSCI_VERSION, want %d (%s)\n", path,
				       ret ? 0 : ket_key_count(&hypercalls, "HVC64", "PSCI_VERSION", NULL),
				       HVCS, strerror(-ret));
			ok = false;
		}
	}
	return ok;
}

static const char usage[] =
	"usage: %1$s [-n cycles] [-h]\n"
	"  -n: VMs created and destroyed, 1..1000000 (default 50)\n"
	"  -h: this help\n";

int main(int argc, char *argv[])
{
	uint64_t vms0, vcpus0, no_state0, lost0, vms, nvcpus, no_state, lost;
	uint64_t cycles, i, checked = 0, matched = 0, errors = 0;
	struct reader readers[READERS] = { 0 }, sum = { 0 };
	char prev[128] = "";
	bool stale = false;
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	int r, e, nr;

	cycles = ket_size_opt(argc, argv, 'n', 50, 1, 1000000, usage);
	ksft_print_header();
	ket_require_module();
	ksft_set_plan(5);
	vms0 = ket_control("vms");
	vcpus0 = ket_control("vcpus");
	no_state0 = ket_control("dropped_no_state");
	lost0 = ket_control("alloc_failures") + ket_control("debugfs_failures");
	/* Every breakdown on: their tables come and go with the VMs. */
	TEST_ASSERT(!ket_control_write("breakdown sysregs on") &&
		    !ket_control_write("breakdown hypercalls on") &&
		    !ket_control_write("breakdown wfx on") &&
		    !ket_control_write("breakdown mmio on") &&
		    !ket_control_write("breakdown interrupts on"), "cannot switch the breakdowns on");

	for (r = 0; r < READERS; r++) {
		readers[r].hist = malloc(sizeof(*readers[r].hist));
		readers[r].breakdown = malloc(sizeof(*readers[r].breakdown));
		TEST_ASSERT(readers[r].hist && readers[r].breakdown, "out of memory");
		TEST_ASSERT(!pthread_create(&readers[r].thread, NULL, reader, &readers[r]),
			    "pthread_create");
	}
	for (i = 0; i < cycles; i++) {
		bool check = i % CHECK_EVERY == 0 || i == cycles - 1;

		/* A checked VM reuses the last one's <pid>-<fd>: let its
		 * directory go first, not to read the last VM's tables. */
		if (check && *prev) {
			for (e = 0; e < 1000 && ket_is_dir(prev); e++)
				usleep(10000);
			stale = ket_is_dir(prev);
			if (stale)
				ksft_print_msg("  %s outlived its VM by 10 s\n", prev);
		}
		nr = 1 + i % 2;
		vm = vm_create_with_vcpus(nr, guest_code, vcpus);
		for (e = 0; e < nr; e++)
			ket_run_to_sync(vcpus[e], 0);
		if (check) {
			checked++;
			matched += check_vm(vm, vcpus, nr) && !stale;
		}
		ket_vm_dir(vm, prev, sizeof(prev));
		kvm_vm_free(vm);
	}
	__atomic_store_n(&done, true, __ATOMIC_RELAXED);
	for (r = 0; r < READERS; r++) {
		pthread_join(readers[r].thread, NULL);
		free(readers[r].hist);
		free(readers[r].breakdown);
		for (e = 0; e < COUNTERS; e++)
			sum.n[e] += readers[r].n[e];
		for (e = 0; e < MAX_ERRNO; e++)
			sum.errors[e] += readers[r].errors[e];
	}
	for (e = 0; e < MAX_ERRNO; e++) {
		if (!sum.errors[e])
			continue;
		ksft_print_msg("  readers: %lu x %s\n", sum.errors[e],
			       e ? strerror(e) : "errno out of range");
		errors += sum.errors[e];
	}
	ksft_print_msg("%lu cycles; readers: %lu passes, %lu directories listed, %lu files read whole, %lu opens of reset\n",
		       cycles, sum.n[PASSES], sum.n[DIRS], sum.n[READS], sum.n[OPENS]);

	ksft_test_result(matched == checked,
			 "%lu of %lu checked VMs (every %dth of %lu cycles, and the last) match KVM's binary stats, %d HVC64 per vCPU\n",
			 matched, checked, CHECK_EVERY, cycles, HVCS);
	ksft_test_result(!errors && !sum.n[GARBAGE] && sum.n[VM_READS],
			 "readers: %lu reads (%lu in VM directories), %lu vanished (ENOENT %lu, EIO %lu), %lu other errors, %lu malformed\n",
			 sum.n[READS], sum.n[VM_READS], sum.n[ENOENTS] + sum.n[EIOS], sum.n[ENOENTS],
			 sum.n[EIOS], errors, sum.n[GARBAGE]);

	/* Destroyed VMs are retired by the module's work item. */
	for (e = 0; e < 1000; e++) {
		vms = ket_control("vms");
		nvcpus = ket_control("vcpus");
		if (vms == vms0 && nvcpus == vcpus0)
			break;
		usleep(10000);
	}
	TEST_ASSERT(!ket_control_write("breakdown sysregs off") &&
		    !ket_control_write("breakdown hypercalls off") &&
		    !ket_control_write("breakdown wfx off") &&
		    !ket_control_write("breakdown mmio off") &&
		    !ket_control_write("breakdown interrupts off"), "cannot switch the breakdowns off");
	ksft_test_result(vms == vms0 && nvcpus == vcpus0,
			 "control: vms: %lu, vcpus: %lu within 10 s (before the test: %lu, %lu)\n",
			 vms, nvcpus, vms0, vcpus0);
	no_state = ket_control("dropped_no_state");
	ksft_test_result(no_state == no_state0,
			 "control: dropped_no_state: %lu (before the test: %lu)\n", no_state, no_state0);
	lost = ket_control("alloc_failures") + ket_control("debugfs_failures");
	ksft_test_result(lost == lost0,
			 "control: alloc_failures + debugfs_failures: %lu (before the test: %lu)\n",
			 lost, lost0);
	ksft_finished();
}
