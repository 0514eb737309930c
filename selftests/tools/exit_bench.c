// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: guest microbenchmarks of exit round trips, for make bench.
 *
 * Each benchmark is a tight guest loop of N round trips of one kind, timed
 * inside the guest with the virtual counter. A warm-up pass comes first,
 * then R timed passes; the guest reports each pass's ticks through a
 * ucall, outside the timed window. One line per benchmark:
 *
 *   bench <name> n=<N> repeats=<R> min=<t> median=<t> ticks_hz=<f>
 *
 * where <t> is the time of one round trip in tenths of a nanosecond. Under
 * QEMU's -icount shift=0 every instruction takes 1 ns of virtual time, so
 * <t> / 10 is the round trip's instruction count (all CPUs' instructions
 * executed meanwhile: host kernel, VMM, guest).
 *
 *   hvc64        HVC PSCI_VERSION, answered by KVM       1 HVC64 exit
 *   sys64        ID_AA64PFR0_EL1 read (HCR_EL2.TID3)     1 SYS64 exit
 *   dabt_io_mem  GIC distributor read (in-kernel MMIO)   1 DABT_IO_MEM exit
 *   dabt_io_user unbacked MMIO read, completed by this   1 DABT_IO_USER exit
 *                program's own KVM_RUN loop
 *   sgi          SGI to vCPU 1, which answers with one   2 SGI exits, 2 WFX
 *                (both wait in WFI)                      exits, 2 wake-ups
 *   wfi_timer    WFI woken by the virtual timer: time    1 WFX exit, 1 wake-up
 *                from the timer's deadline to the guest
 *                running again
 *
 * exit_bench -t VMS,VCPUS instead creates VMS VMs of VCPUS vCPUs, runs
 * each vCPU through a few exits, and times R reads (default 20) of a
 * vCPU's stats, a VM's summary and the global summary of kvm_exit_timing,
 * which must be loaded. Lines: "read <file> bytes=<b> min=<t> median=<t>"
 * (t in tenths of a nanosecond of CLOCK_MONOTONIC), then the module's
 * "memory" lines from its control file.
 *
 * Usage: exit_bench [-n N] [-r R] [bench...]    (default: all, N=2000, R=7)
 *        exit_bench -t VMS,VCPUS [-r R]         (default R=20)
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "arch_timer.h"
#include "ucall_common.h"
#include "ket_gic.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_vm.h"

#define PING_INTID	1
#define STOP_INTID	2
#define MAX_REPEATS	101

enum op { OP_HVC64, OP_SYS64, OP_DIST_READ, OP_MMIO_USER, OP_SGI, OP_WFI_TIMER };

struct bench {
	const char *name;
	enum op op;
	bool gic;
	int nr_vcpus;
};

static const struct bench benches[] = {
	{ "hvc64", OP_HVC64 },
	{ "sys64", OP_SYS64 },
	{ "dabt_io_mem", OP_DIST_READ, true },
	{ "dabt_io_user", OP_MMIO_USER },
	{ "sgi", OP_SGI, true, 2 },
	{ "wfi_timer", OP_WFI_TIMER, true },
};

/* Shared with the guest (sync_global_to_guest). */
static enum op guest_op;
static uint64_t guest_n, guest_passes;
static uint64_t timer_delta;	/* ticks from arming the timer to its deadline */

/* Waits, interrupts masked, for an interrupt to be pending; takes it. */
static uint32_t guest_wait_irq(void)
{
	uint32_t iar;

	for (;;) {
		wfi();
		iar = ket_gic_ack();
		if (KET_INTID(iar) != 1023)
			return iar;
	}
}

/* One round trip; returns ticks to add to the pass's time (wfi_timer
 * counts from the deadline, not from the start of the loop). */
static uint64_t guest_op_once(enum op op)
{
	struct arm_smccc_res res;
	uint64_t deadline, now;
	uint32_t iar;

	switch (op) {
	case OP_HVC64:
		smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
		break;
	case OP_SYS64:
		(void)read_sysreg(id_aa64pfr0_el1);
		break;
	case OP_DIST_READ:
		(void)ket_gic_dist_read();
		break;
	case OP_MMIO_USER:
		(void)readl((volatile void *)KET_MMIO_GPA);
		break;
	case OP_SGI:
		ket_gic_send_sgi(1, PING_INTID);
		iar = guest_wait_irq();
		GUEST_ASSERT_EQ(KET_INTID(iar), PING_INTID);
		ket_gic_eoi(iar);
		break;
	case OP_WFI_TIMER:
		deadline = timer_get_cntct(VIRTUAL) + timer_delta;
		timer_set_cval(VIRTUAL, deadline);
		timer_set_ctl(VIRTUAL, CTL_ENABLE);
		iar = guest_wait_irq();
		now = timer_get_cntct(VIRTUAL);
		timer_set_ctl(VIRTUAL, CTL_IMASK);
		GUEST_ASSERT_EQ(KET_INTID(iar), KET_VTIMER_INTID);
		ket_gic_eoi(iar);
		return now - deadline;
	}
	return 0;
}

/* vCPU 1 of the sgi benchmark: answers every ping until told to stop. */
static void guest_ponger(void)
{
	uint32_t iar;

	for (;;) {
		iar = guest_wait_irq();
		ket_gic_eoi(iar);
		if (KET_INTID(iar) == STOP_INTID)
			break;
		ket_gic_send_sgi(0, PING_INTID);
	}
	GUEST_DONE();
}

static void guest_code(void)
{
	enum op op = READ_ONCE(guest_op);
	uint64_t n = READ_ONCE(guest_n), passes = READ_ONCE(guest_passes);
	uint64_t pass, i, start, extra;

	if (op == OP_DIST_READ || op == OP_SGI || op == OP_WFI_TIMER)
		ket_gic_init(op == OP_SGI ? 2 : 1);
	if (op == OP_SGI) {
		ket_gic_irq_enable(PING_INTID);
		ket_gic_irq_enable(STOP_INTID);
		if (guest_get_vcpuid() == 1)
			guest_ponger();
	}
	if (op == OP_WFI_TIMER)
		ket_gic_irq_enable(KET_VTIMER_INTID);
	/* Pass 0 warms up: code, data, page tables, the host's paths. */
	for (pass = 0; pass < passes; pass++) {
		extra = 0;
		start = timer_get_cntct(VIRTUAL);
		for (i = 0; i < n; i++)
			extra += guest_op_once(op);
		if (op == OP_WFI_TIMER)
			GUEST_SYNC(extra);
		else
			GUEST_SYNC(timer_get_cntct(VIRTUAL) - start);
	}
	if (op == OP_SGI)
		ket_gic_send_sgi(1, STOP_INTID);
	GUEST_DONE();
}

static void *run_ponger(void *vcpu)
{
	ket_run_to(vcpu, UCALL_DONE);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* @v: tenths of a ns per round trip, sorted in place; prints min/median. */
static void print_result(const char *what, const char *name, uint64_t *v, int r, const char *extra)
{
	qsort(v, r, sizeof(*v), cmp_u64);
	printf("%s %s %s min=%lu median=%lu\n", what, name, extra, v[0], v[r / 2]);
	fflush(stdout);
}

static void run_bench(const struct bench *b, uint64_t n, int repeats)
{
	uint64_t hz = ket_counter_hz(), v[MAX_REPEATS];
	struct kvm_vcpu *vcpus[2];
	pthread_t ponger;
	struct kvm_vm *vm;
	struct ucall uc;
	char extra[96];
	int nr = b->nr_vcpus ? b->nr_vcpus : 1, pass;

	vm = vm_create_with_vcpus(nr, guest_code, vcpus);
	if (b->gic)
		ket_vgic_setup(vm, nr);
	if (b->op == OP_MMIO_USER)
		virt_map(vm, KET_MMIO_GPA, KET_MMIO_GPA, 1);
	guest_op = b->op;
	guest_n = n;
	guest_passes = repeats + 1;
	/* 1 ms: the vCPU is asleep in WFI long before the deadline. */
	timer_delta = hz / 1000;
	sync_global_to_guest(vm, guest_op);
	sync_global_to_guest(vm, guest_n);
	sync_global_to_guest(vm, guest_passes);
	sync_global_to_guest(vm, timer_delta);
	if (nr == 2)
		pthread_create(&ponger, NULL, run_ponger, vcpus[1]);
	for (pass = 0; pass <= repeats; pass++) {
		TEST_ASSERT_EQ(ket_run_to_ucall(vcpus[0], &uc), UCALL_SYNC);
		if (pass > 0)
			v[pass - 1] = uc.args[1] * 10000000000ULL / hz / n;
	}
	ket_run_to(vcpus[0], UCALL_DONE);
	if (nr == 2)
		pthread_join(ponger, NULL);
	kvm_vm_free(vm);
	snprintf(extra, sizeof(extra), "n=%lu repeats=%d ticks_hz=%lu", n, repeats, hz);
	print_result("bench", b->name, v, repeats, extra);
}

/* ---- -t: the cost of reading the tables. */

static void guest_few_exits(void)
{
	ket_guest_hvcs(10);
	GUEST_DONE();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Reads @path whole, @r times; prints the time of one read. */
static void time_reads(const char *name, const char *path, int r)
{
	/* Not static: the selftest library loads all of this program's data
	 * into every guest. */
	char *buf = malloc(1 << 20);
	uint64_t v[MAX_REPEATS], t;
	ssize_t got, bytes = 0;
	char extra[32];
	int i, fd;

	TEST_ASSERT(buf, "out of memory");
	for (i = 0; i < r; i++) {
		t = now_ns();
		fd = open(path, O_RDONLY);
		TEST_ASSERT(fd >= 0, "open %s", path);
		bytes = 0;
		while ((got = read(fd, buf, 1 << 20)) > 0)
			bytes += got;
		TEST_ASSERT(got == 0, "read %s", path);
		close(fd);
		v[i] = (now_ns() - t) * 10;
	}
	free(buf);
	snprintf(extra, sizeof(extra), "bytes=%zd", bytes);
	print_result("read", name, v, r, extra);
}

static void run_reads(int nr_vms, int nr_vcpus, int r)
{
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	struct kvm_vm *vms[64];
	char dir[256], path[300], line[256];
	FILE *f;
	int i, j;

	TEST_ASSERT(nr_vms >= 1 && nr_vms <= 64 && nr_vcpus >= 1 && nr_vcpus <= 64,
		    "-t: 1..64 VMs of 1..64 vCPUs");
	ket_require_module();
	for (i = 0; i < nr_vms; i++) {
		vms[i] = vm_create_with_vcpus(nr_vcpus, guest_few_exits, vcpus);
		for (j = 0; j < nr_vcpus; j++)
			ket_run_to(vcpus[j], UCALL_DONE);
	}
	/* Each vCPU's directory is made by a work item: wait for the last. */
	ket_vm_dir(vms[nr_vms - 1], dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vcpu%d/stats", dir, nr_vcpus - 1);
	TEST_ASSERT(ket_wait_for(path, 10), "%s never appeared", path);
	time_reads("vcpu_stats", path, r);
	snprintf(path, sizeof(path), "%s/vcpu%d/histogram", dir, nr_vcpus - 1);
	time_reads("vcpu_histogram", path, r);
	snprintf(path, sizeof(path), "%s/summary", dir);
	time_reads("vm_summary", path, r);
	time_reads("summary", "/sys/kernel/debug/kvm_exit_timing/summary", r);
	f = fopen("/sys/kernel/debug/kvm_exit_timing/control", "r");
	TEST_ASSERT(f, "open control");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "memory", 6) || !strncmp(line, "vms:", 4) ||
		    !strncmp(line, "vcpus:", 6) || !strncmp(line, "pool:", 5))
			printf("control %s", line);
	fclose(f);
	for (i = 0; i < nr_vms; i++)
		kvm_vm_free(vms[i]);
}

static const char usage[] =
	"usage: %1$s [-n N] [-r R] [bench...]\n"
	"       %1$s -t VMS,VCPUS [-r R]\n"
	"  -n: round trips per pass, 1..100000000 (default 2000)\n"
	"  -r: timed passes after a warm-up, or reads timed with -t, 1..100\n"
	"      (default 7, or 20 with -t)\n"
	"  -t: time reads of the module's tables with VMS VMs of VCPUS vCPUs alive,\n"
	"      1..64 each, instead of the benchmarks\n"
	"  -h: this help\n"
	"  bench: hvc64 sys64 dabt_io_mem dabt_io_user sgi wfi_timer (default: all)\n";

/* -t's VMS,VCPUS. */
static void parse_vms_vcpus(const char *arg, int *vms, int *vcpus)
{
	char first[16];
	size_t len = strcspn(arg, ",");

	if (!arg[len] || len >= sizeof(first))
		ket_opt_fail('t', arg, "VMS,VCPUS");
	snprintf(first, sizeof(first), "%.*s", (int)len, arg);
	*vms = ket_opt_num('t', first, 1, 64);
	*vcpus = ket_opt_num('t', arg + len + 1, 1, 64);
}

int main(int argc, char *argv[])
{
	int repeats = 0, vms = 0, vcpus = 0, i, b, opt;
	uint64_t n = 2000;

	while ((opt = getopt(argc, argv, "hn:r:t:")) != -1) {
		switch (opt) {
		case 'n':
			n = ket_opt_num(opt, optarg, 1, 100000000);
			break;
		case 'r':
			repeats = ket_opt_num(opt, optarg, 1, MAX_REPEATS - 1);
			break;
		case 't':
			parse_vms_vcpus(optarg, &vms, &vcpus);
			break;
		case 'h':
			ket_usage(usage, KSFT_PASS);
		default:
			ket_usage(usage, KSFT_FAIL);
		}
	}
	if (vms) {
		ket_no_operands(argc, argv, usage);
		run_reads(vms, vcpus, repeats ?: 20);
		return 0;
	}
	repeats = repeats ?: 7;
	i = optind;
	if (i == argc) {
		for (b = 0; b < ARRAY_SIZE(benches); b++)
			run_bench(&benches[b], n, repeats);
		return 0;
	}
	for (; i < argc; i++) {
		for (b = 0; b < ARRAY_SIZE(benches); b++)
			if (!strcmp(argv[i], benches[b].name))
				break;
		TEST_ASSERT(b < ARRAY_SIZE(benches), "unknown benchmark '%s'", argv[i]);
		run_bench(&benches[b], n, repeats);
	}
	return 0;
}
