// SPDX-License-Identifier: GPL-2.0
/*
 * clock_test: the PMU cycle counter as kvm_exit_timing's clock.
 *
 * - `clock cycles` / `clock counter` in the control file switch clocks
 *   (anything else is refused with EINVAL and changes nothing); the
 *   control file and the tables then say which clock, unit and frequency.
 * - The same guest work timed on both clocks: every row counts the same,
 *   and with -t PERCENT its durations in cycles are the cycle clock's
 *   frequency over the counter's times the durations in ticks, within
 *   PERCENT. QEMU's cycle counter counts 1 GHz of its virtual time, the
 *   generic counter 62.5 MHz: 16 x. Only under QEMU's -icount do both
 *   runs take the same time (they execute the same instructions); without
 *   it a run's speed varies with the machine's load, and no bound holds:
 *   without -t the ratio is printed, not checked. Measured under -icount:
 *   16.02 x for the shortest HVC64 and DABT_IO_USER exits; the shortest
 *   guest run varies by about 100 instructions between runs (15.5 to
 *   16.0 x), hence -t 5 there.
 * - Migrations: a vCPU thread moved between CPUs while it handles exits,
 *   and between KVM_RUNs while user space handles its MMIO, gives no
 *   negative, huge or lost interval (CPUs' cycle counters are not
 *   comparable: the module must never subtract two of them).
 * - Refusal: with another pinned cycles event on every CPU, `clock
 *   cycles` fails with EBUSY and nothing changes.
 * - Switching clocks while vCPUs run: no error, no unpaired exit.
 *
 * Leaves the module on the generic counter. Needs root and the module
 * (loaded if it is not: $KET_MODULE).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define COUNTER_NAME	"arm64 generic counter (arch_timer_read_counter)"
#define CYCLES_NAME	"arm64 PMU cycle counter (PMCCNTR_EL0)"
/* QEMU's cycle counter: 1 GHz of virtual time. */
#define QEMU_CYCLES_HZ	1000000000ull

/* Exits of each kind per timed run, and per migration run. */
#define N_TIMED		400
#define N_MIGRATION	4000
/* The vCPU thread moves to the next CPU every this many user exits. */
#define MOVE_EVERY	25
#define SWITCHES	12
#define LOAD_VCPUS	3

static const char usage[] =
	"Usage: %1$s [-t PERCENT] [-h]\n"
	"  -t PERCENT  check the cycles/ticks ratio of each row within PERCENT\n"
	"              (for QEMU's -icount, where 5 holds; default: not checked)\n";

/* Shared with the guest. */
static uint64_t guest_n;
static uint64_t guest_stop;

/* GUEST_SYNC(0); n HVCs; GUEST_SYNC(1); n user MMIO reads; GUEST_SYNC(2). */
static void guest_timed(void)
{
	uint64_t i, n = READ_ONCE(guest_n);

	GUEST_SYNC(0);
	ket_guest_hvcs(n);
	GUEST_SYNC(1);
	for (i = 0; i < n; i++)
		READ_ONCE(*(volatile uint64_t *)KET_MMIO_GPA);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* HVCs until told to stop, then done. */
static void guest_until_stopped(void)
{
	GUEST_SYNC(0);
	while (!READ_ONCE(guest_stop))
		ket_guest_hvcs(64);
	GUEST_DONE();
}

static void control_text(const char *key, char *out, size_t size)
{
	ket_control_text(key, out, size);
}

static bool control_says(const char *key, const char *want)
{
	char text[256];

	control_text(key, text, sizeof(text));
	if (!strcmp(text, want))
		return true;
	ksft_print_msg("control: '%s: %s', expected '%s'\n", key, text, want);
	return false;
}

static int online_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static void move_to_cpu(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(tid, sizeof(set), &set), "affinity to CPU %d", cpu);
}

static void any_cpu(pid_t tid)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < online_cpus(); cpu++)
		CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(tid, sizeof(set), &set), "affinity to all CPUs");
}

static void test_bad_commands(void)
{
	static const char *const bad[] = {
		"clock", "clock ", "clock ticks", "clock Cycles", "clock  cycles",
		"clock cycles counter", "clock cycles\n\n", "cycles",
	};
	bool ok = true;
	int i, r;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		r = ket_control_write(bad[i]);
		if (r != -EINVAL) {
			ksft_print_msg("'%s': %d, expected -EINVAL\n", bad[i], r);
			ok = false;
		}
	}
	ok &= control_says("clock", COUNTER_NAME) && control_says("unit", "ticks") &&
	      control_says("cycle_counter", "not in use");
	ksft_test_result(ok, "%zu malformed clock commands refused with EINVAL, nothing changed\n",
			 ARRAY_SIZE(bad));
}

/* Switches to @clock: the control file must then say so. */
static bool set_clock(const char *clock)
{
	char cmd[32];
	int r;

	snprintf(cmd, sizeof(cmd), "clock %s\n", clock);
	r = ket_control_write(cmd);
	if (r) {
		ksft_print_msg("'clock %s': %s\n", clock, strerror(-r));
		return false;
	}
	return !strcmp(clock, "cycles") ? control_says("clock", CYCLES_NAME) &&
					   control_says("unit", "cycles")
					 : control_says("clock", COUNTER_NAME) &&
					   control_says("unit", "ticks");
}

static void test_switch_to_cycles(void)
{
	char text[128], want[128];
	uint64_t hz;

	if (!set_clock("cycles")) {
		ksft_test_result_fail("clock cycles: the control file says so\n");
		ksft_test_result_skip("cycle counter owned on every CPU\n");
		ksft_test_result_skip("cycles frequency\n");
		return;
	}
	ksft_test_result_pass("clock cycles: the control file says so\n");
	snprintf(want, sizeof(want), "owned on %d of %d CPUs", online_cpus(), online_cpus());
	ksft_test_result(control_says("cycle_counter", want), "cycle counter %s\n", want);
	control_text("frequency", text, sizeof(text));
	hz = strtoull(text, NULL, 10);
	ksft_test_result(hz > QEMU_CYCLES_HZ / 100 * 98 && hz < QEMU_CYCLES_HZ / 100 * 102 &&
			 strstr(text, "(calibrated against the generic counter)"),
			 "cycles frequency '%s': QEMU's 1 GHz, calibrated (no cpufreq here)\n", text);
}

struct timed {
	struct ket_table hvc, user;	/* the vCPU's table after each phase */
	bool stats_match;
};

/* One fresh VM: N_TIMED HVCs, then N_TIMED user MMIO reads. */
static void timed_run(struct timed *t)
{
	struct ket_table first;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_timed);
	virt_map(vm, KET_MMIO_GPA, KET_MMIO_GPA, 1);
	guest_n = N_TIMED;
	sync_global_to_guest(vm, guest_n);
	ket_run_to_sync(vcpu, 0);
	ket_vcpu_table(vm, 0, &first);
	ket_run_to_sync(vcpu, 1);
	ket_vcpu_table(vm, 0, &t->hvc);
	ket_run_to_sync(vcpu, 2);
	ket_vcpu_table(vm, 0, &t->user);
	ket_run_to(vcpu, UCALL_DONE);
	vcpu_run_complete_io(vcpu);
	ket_vcpu_table(vm, 0, &first);
	t->stats_match = ket_kvm_stats_match(vcpu, &first);
	kvm_vm_free(vm);
}

/*
 * Exit row @row counts the same in both tables, and with @tol >= 0 its minimum
 * in cycles is @ratio x its minimum in ticks, within @tol percent and one
 * tick. The minimum, not the average: under -icount QEMU's time counts
 * the instructions of every CPU in turn, so an exit is longer when
 * another CPU worked meanwhile (the module's worker, a timer tick); the
 * shortest exit of a few hundred is one where none did.
 */
static bool ratio_holds(const char *row, const struct ket_table *ticks,
			const struct ket_table *cycles, double ratio, int tol)
{
	const struct ket_row *a = &ticks->rows[ket_type(row)], *b = &cycles->rows[ket_type(row)];
	double want = ratio * a->min, slack = ratio * (1 + a->min * (tol < 0 ? 0 : tol) / 100.0);

	ksft_print_msg("%s: %lu and %lu exits; min %lu ticks, %lu cycles (x %.3f); avg %lu ticks, %lu cycles (x %.3f); expected x %.3f\n",
		       row, a->count, b->count, a->min, b->min, a->min ? (double)b->min / a->min : 0,
		       a->avg, b->avg, a->avg ? (double)b->avg / a->avg : 0, ratio);
	/* Guest runs also end in host interrupts, which come when they come. */
	if (ket_type_is_exit(ket_type(row)) && a->count != b->count)
		return false;
	return tol < 0 || (b->min >= want - slack && b->min <= want + slack);
}

static void test_ratio(int tol)
{
	struct timed ticks, cycles;
	char within[32];
	double ratio;
	bool ok;

	ok = set_clock("counter");
	timed_run(&ticks);
	ok &= set_clock("cycles");
	timed_run(&cycles);
	if (!ok || !ticks.user.hz) {
		ksft_test_result_fail("could not time the runs on both clocks\n");
		return;
	}
	ratio = (double)cycles.user.hz / ticks.user.hz;
	snprintf(within, sizeof(within), tol < 0 ? "(not checked: no -t)" : "within %d%% + 1 tick",
		 tol);
	ksft_test_result(ratio_holds("HVC64", &ticks.hvc, &cycles.hvc, ratio, tol) &
			 ratio_holds("TIMEINGUEST", &ticks.hvc, &cycles.hvc, ratio, tol),
			 "%d HVC64 exits and their guest runs: same count, fastest in cycles = %.2f x in ticks %s\n",
			 N_TIMED, ratio, within);
	ksft_test_result(ratio_holds("DABT_IO_USER", &ticks.user, &cycles.user, ratio, tol),
			 "%d DABT_IO_USER exits (user space between two KVM_RUNs): same count, fastest in cycles = %.2f x in ticks %s\n",
			 N_TIMED, ratio, within);
	ksft_test_result(ticks.stats_match && cycles.stats_match,
			 "both runs' tables match KVM's binary stats\n");
}

/* Moves the vCPU thread from CPU to CPU while it runs. */
struct mover {
	pid_t tid;
	volatile bool stop;
	uint64_t moves;
};

static void *mover(void *arg)
{
	struct timespec pause = { .tv_nsec = 2 * 1000 * 1000 };
	struct mover *m = arg;
	int cpu = 0;

	while (!m->stop) {
		cpu = (cpu + 1) % online_cpus();
		move_to_cpu(m->tid, cpu);
		m->moves++;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void test_migrations(void)
{
	uint64_t unpaired = ket_control("dropped_unpaired"), t0, ns, sum = 0, limit, user_exits = 0;
	struct mover m = { .tid = gettid() };
	struct kvm_run *run;
	struct ket_table t;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	pthread_t thread;
	int i, worst = -1;
	bool done = false;

	TEST_ASSERT(set_clock("cycles"), "clock cycles");
	vm = vm_create_with_one_vcpu(&vcpu, guest_timed);
	virt_map(vm, KET_MMIO_GPA, KET_MMIO_GPA, 1);
	guest_n = N_MIGRATION;
	sync_global_to_guest(vm, guest_n);
	run = vcpu->run;
	ket_run_to_sync(vcpu, 0);
	t0 = now_ns();
	pthread_create(&thread, NULL, mover, &m);
	while (!done) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == KET_MMIO_GPA) {
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			/* Between two KVM_RUNs: the next one starts elsewhere. */
			if (++user_exits % MOVE_EVERY == 0)
				move_to_cpu(0, (user_exits / MOVE_EVERY) % online_cpus());
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			break;
		case UCALL_DONE:
			done = true;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("unexpected exit %s", exit_reason_str(run->exit_reason));
		}
	}
	m.stop = true;
	pthread_join(thread, NULL);
	vcpu_run_complete_io(vcpu);
	ns = now_ns() - t0;
	any_cpu(0);
	ket_vcpu_table(vm, 0, &t);
	ksft_print_msg("%lu thread moves by another thread, %lu between KVM_RUNs, in %lu ms\n",
		       m.moves, user_exits / MOVE_EVERY, ns / 1000000);

	/* Everything the vCPU's rows add up to happened within the run
	 * (the sync before it aside): a subtraction of two CPUs' counters
	 * would show as a huge interval, or as a dropped, unpaired one. */
	limit = (ns + 1000000000ull) / 1000 * (t.hz / 1000) / 1000;
	for (i = 0; i < KET_EXIT_TYPES; i++) {
		sum += t.rows[i].total;
		if (t.rows[i].max > limit && (worst < 0 || t.rows[i].max > t.rows[worst].max))
			worst = i;
	}
	ksft_test_result(worst < 0 && sum <= limit,
			 "no interval beyond the run's length: rows sum to %lu cycles, the run took %lu (+1 s); %s\n",
			 sum, limit, worst < 0 ? "every max within it" : ket_exit_types[worst]);
	/* The syncs are user MMIO exits too. */
	ksft_test_result(ket_control("dropped_unpaired") == unpaired &&
			 t.rows[ket_type("HVC64")].count == N_MIGRATION &&
			 t.rows[ket_type("DABT_IO_USER")].count >= N_MIGRATION,
			 "none lost: %lu HVC64 and %lu DABT_IO_USER exits for %d of each, %lu unpaired\n",
			 t.rows[ket_type("HVC64")].count, t.rows[ket_type("DABT_IO_USER")].count,
			 N_MIGRATION, ket_control("dropped_unpaired") - unpaired);
	ksft_test_result(ket_kvm_stats_match(vcpu, &t), "the table matches KVM's binary stats\n");
	kvm_vm_free(vm);
}

static int perf_event_open(struct perf_event_attr *attr, int cpu)
{
	return syscall(__NR_perf_event_open, attr, -1, cpu, -1, 0);
}

static void test_refusal(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.pinned = 1,
	};
	int fds[64], n = online_cpus(), cpu, r;
	bool ok;

	if (!set_clock("counter") || n > 64) {
		ksft_test_result_fail("refusal: back on the counter first\n");
		ksft_test_result_skip("refusal: free again\n");
		return;
	}
	for (cpu = 0; cpu < n; cpu++) {
		fds[cpu] = perf_event_open(&attr, cpu);
		TEST_ASSERT(fds[cpu] >= 0, "pinned cycles event on CPU %d: %s", cpu, strerror(errno));
	}
	r = ket_control_write("clock cycles");
	ok = control_says("clock", COUNTER_NAME) && control_says("cycle_counter", "not in use");
	ksft_test_result(r == -EBUSY && ok,
			 "with the test's own pinned cycles event on each CPU: 'clock cycles' gives %s, nothing changed\n",
			 strerror(-r));
	for (cpu = 0; cpu < n; cpu++)
		close(fds[cpu]);
	ksft_test_result(set_clock("cycles") && set_clock("counter"),
			 "once they are closed, 'clock cycles' works\n");
}

static void test_switch_under_load(void)
{
	struct ket_vcpu_thread threads[LOAD_VCPUS];
	struct kvm_vcpu *vcpus[LOAD_VCPUS];
	uint64_t unpaired = ket_control("dropped_unpaired");
	struct ket_table t;
	struct kvm_vm *vm;
	int i, failed = 0;
	bool joined = true;

	vm = vm_create_with_vcpus(LOAD_VCPUS, guest_until_stopped, vcpus);
	for (i = 0; i < LOAD_VCPUS; i++)
		ket_vcpu_thread_start(&threads[i], vcpus[i]);
	for (i = 0; i < SWITCHES; i++) {
		failed += !set_clock(i % 2 ? "counter" : "cycles");
		ket_vcpu_table(vm, i % LOAD_VCPUS, &t);
	}
	guest_stop = 1;
	sync_global_to_guest(vm, guest_stop);
	for (i = 0; i < LOAD_VCPUS; i++)
		joined &= ket_vcpu_thread_join(vm, &threads[i]);
	ksft_test_result(!failed && joined && ket_control("dropped_unpaired") == unpaired,
			 "%d clock switches while %d vCPUs made exits: %d failed, no unpaired exit\n",
			 SWITCHES, LOAD_VCPUS, failed);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	int tol = -1;
	int opt;

	while ((opt = getopt(argc, argv, "t:h")) != -1) {
		switch (opt) {
		case 't':
			tol = ket_opt_num('t', optarg, 0, 100);
			break;
		case 'h':
			ket_usage(usage, KSFT_PASS);
		default:
			ket_usage(usage, KSFT_FAIL);
		}
	}
	ket_no_operands(argc, argv, usage);

	ksft_print_header();
	TEST_REQUIRE(online_cpus() >= 2);
	ket_require_module();
	ksft_set_plan(13);
	test_bad_commands();
	test_switch_to_cycles();
	test_ratio(tol);
	test_migrations();
	test_refusal();
	test_switch_under_load();
	TEST_ASSERT(set_clock("counter"), "back to the generic counter");
	ksft_finished();
}
