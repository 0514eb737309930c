// SPDX-License-Identifier: GPL-2.0
/*
 * oversubscribe_test: 32 vCPUs on 2 host CPUs for a sustained run.
 * DESCHEDULED accounts for the time the vCPU threads lose to each other,
 * and no vCPU's entry/exit pairing breaks under constant preemption.
 *
 * One VM with 32 vCPUs (several VMs of KVM_CAP_MAX_VCPUS each where the
 * host allows fewer, as a GICv2 host does: 8), one SCHED_OTHER thread per
 * vCPU, all pinned to CPUs 0 and 1. Each guest makes HVCs, which KVM
 * handles without ever blocking, with a ucall every HVCS_PER_SYNC of them,
 * until told to stop. Then:
 *   (a) every vCPU's table agrees exactly with KVM's binary stats (the
 *       VMs were timed since creation), and each VM's summary is the sum
 *       of its vCPUs;
 *   (b) the control file's dropped_unpaired did not grow;
 *   (c) the DESCHEDULED totals of all vCPUs add up to the time their
 *       threads spent off a CPU (see the bounds in main());
 *   (d) every vCPU was preempted inside KVM_RUN, never for longer in all
 *       than the run lasted.
 *
 * Usage: oversubscribe_test [-s seconds]   (default 3)
 * Needs root, CPUs 0 and 1, and the module (loaded if it is not).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

#define NR_VCPUS	32
#define HOST_CPUS	2	/* CPUs 0 and 1 */
/* Few syncs: preemption while the thread is in user space, outside
 * KVM_RUN, is not DESCHEDULED time (see (c)). */
#define HVCS_PER_SYNC	200

static uint64_t stop;	/* shared with the guests */

static void guest_code(void)
{
	struct arm_smccc_res res;
	uint64_t round = 0, i;

	while (!READ_ONCE(stop)) {
		for (i = 0; i < HVCS_PER_SYNC && !READ_ONCE(stop); i++)
			smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
		GUEST_SYNC(round++);
	}
	GUEST_DONE();
}

struct vcpu_thread {
	struct ket_vcpu_thread run;
	struct kvm_vm *vm;
	/* The thread's life and the CPU time it got, in ns: it was off its
	 * CPU for the difference. */
	uint64_t life, cpu;
};

static struct kvm_vm *vms[NR_VCPUS];
static struct vcpu_thread threads[NR_VCPUS];
static int nr_vms;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool on_host_cpus(void)
{
	cpu_set_t set;

	TEST_ASSERT(!sched_getaffinity(0, sizeof(set), &set), "sched_getaffinity");
	return CPU_COUNT(&set) == HOST_CPUS && CPU_ISSET(0, &set) && CPU_ISSET(1, &set);
}

static void *run_vcpu(void *arg)
{
	struct vcpu_thread *t = arg;
	uint64_t start = now_ns();
	struct timespec cpu;

	TEST_ASSERT(sched_getscheduler(0) == SCHED_OTHER && on_host_cpus(),
		    "vCPU %u thread: not SCHED_OTHER on CPUs 0-1 only", t->run.vcpu->id);
	TEST_ASSERT(ket_vcpu_loop(&t->run), "vCPU %u stopped before GUEST_DONE (above)",
		    t->run.vcpu->id);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	t->cpu = cpu.tv_sec * 1000000000ull + cpu.tv_nsec;
	t->life = now_ns() - start;
	return NULL;
}

/* NR_VCPUS vCPUs in as few VMs as KVM allows. */
static void create_vms(void)
{
	int per_vm = kvm_check_cap(KVM_CAP_MAX_VCPUS), i, j, n;
	struct kvm_vcpu *vcpus[NR_VCPUS];

	TEST_ASSERT(per_vm > 0, "KVM_CAP_MAX_VCPUS is %d", per_vm);
	if (per_vm > NR_VCPUS)
		per_vm = NR_VCPUS;
	for (i = 0; i < NR_VCPUS; i += n) {
		n = NR_VCPUS - i < per_vm ? NR_VCPUS - i : per_vm;
		vms[nr_vms] = vm_create_with_vcpus(n, guest_code, vcpus);
		for (j = 0; j < n; j++) {
			threads[i + j].vm = vms[nr_vms];
			threads[i + j].run.vcpu = vcpus[j];
		}
		nr_vms++;
	}
}

static void pin(int first, int last)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = first; cpu <= last; cpu++)
		CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity(%d-%d): %s",
		    first, last, strerror(errno));
}

/* (a): KVM's stats of every vCPU, and each VM's summary as their sum. */
static bool tables_match(struct ket_table *tables)
{
	int d = ket_type("DESCHEDULED"), h = ket_type("HVC64"), i, v;
	struct ket_table s;
	bool ok = true;

	for (i = 0; i < NR_VCPUS; i++) {
		ket_vcpu_table(threads[i].vm, threads[i].run.vcpu->id, &tables[i]);
		if (!ket_kvm_stats_match(threads[i].run.vcpu, &tables[i])) {
			ksft_print_msg("  (the lines above: vCPU %u of VM %d)\n",
				       threads[i].run.vcpu->id, threads[i].vm->fd);
			ok = false;
		}
	}
	for (v = 0; v < nr_vms; v++) {
		uint64_t vcpus = 0, exits = 0, hvc = 0, dcount = 0, dtotal = 0;

		for (i = 0; i < NR_VCPUS; i++) {
			if (threads[i].vm != vms[v])
				continue;
			vcpus++;
			exits += tables[i].exits;
			hvc += tables[i].rows[h].count;
			dcount += tables[i].rows[d].count;
			dtotal += tables[i].rows[d].total;
		}
		ket_vm_summary(vms[v], &s);
		if (s.vcpus != vcpus || s.exits != exits || s.rows[h].count != hvc ||
		    s.rows[d].count != dcount || s.rows[d].total != dtotal) {
			ksft_print_msg("  VM %d summary: %lu vCPUs, %lu exits, %lu HVC64, DESCHEDULED %lu/%lu ticks; its vCPUs: %lu, %lu, %lu, %lu/%lu\n",
				       vms[v]->fd, s.vcpus, s.exits, s.rows[h].count,
				       s.rows[d].count, s.rows[d].total,
				       vcpus, exits, hvc, dcount, dtotal);
			ok = false;
		}
	}
	return ok;
}

static const char usage[] =
	"usage: %1$s [-s seconds] [-h]\n"
	"  -s: how long the vCPUs run, 1..3600 (default 3)\n"
	"  -h: this help\n";

int main(int argc, char *argv[])
{
	static struct ket_table tables[NR_VCPUS];
	uint64_t seconds, unpaired0, unpaired1, no_state0, no_state1, t0, t1;
	uint64_t wall_ticks, lost_ticks, lost = 0, sum = 0, cmin = UINT64_MAX, cmax = 0, longest = 0;
	uint64_t smin = UINT64_MAX, smax = 0;
	struct sched_param sp = { .sched_priority = 0 };
	struct timespec run;
	int d = ket_type("DESCHEDULED"), i, ncpus;
	bool all_preempted = true, matched;
	pthread_attr_t attr;
	double ratio;

	seconds = ket_size_opt(argc, argv, 's', 3, 1, 3600, usage);
	ksft_print_header();
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	TEST_REQUIRE(ncpus >= HOST_CPUS);
	ket_require_module();
	ksft_set_plan(4);

	/* The vCPU threads inherit this thread's affinity; their policy is
	 * set explicitly, whatever the test was started with. */
	TEST_ASSERT(!sched_setscheduler(0, SCHED_OTHER, &sp), "SCHED_OTHER: %s", strerror(errno));
	pin(0, HOST_CPUS - 1);
	TEST_REQUIRE(on_host_cpus());
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &sp);

	unpaired0 = ket_control("dropped_unpaired");
	create_vms();
	/* Every vCPU must find a state ready at its first run (else it is
	 * timed from a later event, and (a) cannot hold): the module fills
	 * its pool for created vCPUs in a work item. */
	for (i = 0; i < 1000 && ket_control("pool") < NR_VCPUS; i++)
		usleep(10000);
	TEST_ASSERT(ket_control("pool") >= NR_VCPUS, "the module's pool holds %lu states after 10 s, for %d new vCPUs",
		    ket_control("pool"), NR_VCPUS);
	no_state0 = ket_control("dropped_no_state");

	t0 = now_ns();
	for (i = 0; i < NR_VCPUS; i++)
		TEST_ASSERT(!pthread_create(&threads[i].run.thread, &attr, run_vcpu, &threads[i]),
			    "pthread_create");
	/* The main thread only sleeps and stops the guests: off the vCPUs'
	 * CPUs if there are others. */
	if (ncpus > HOST_CPUS)
		pin(HOST_CPUS, ncpus - 1);
	run.tv_sec = seconds;
	run.tv_nsec = 0;
	nanosleep(&run, NULL);
	stop = 1;
	for (i = 0; i < nr_vms; i++)
		sync_global_to_guest(vms[i], stop);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(threads[i].run.thread, NULL);
	t1 = now_ns();

	matched = tables_match(tables);
	unpaired1 = ket_control("dropped_unpaired");
	no_state1 = ket_control("dropped_no_state");
	ksft_test_result(matched, "(a) %d vCPUs in %d VM(s), %lu s on %d CPUs: every table matches KVM's binary stats, every VM summary adds up its vCPUs (dropped_no_state %lu -> %lu)\n",
			 NR_VCPUS, nr_vms, seconds, HOST_CPUS, no_state0, no_state1);
	ksft_test_result(unpaired1 == unpaired0,
			 "(b) no entry/exit pairing broke: dropped_unpaired %lu before, %lu after\n",
			 unpaired0, unpaired1);

	wall_ticks = (uint64_t)((double)(t1 - t0) * tables[0].hz / 1e9);
	for (i = 0; i < NR_VCPUS; i++) {
		const struct ket_row *r = &tables[i].rows[d];
		uint64_t syncs = threads[i].run.syncs;

		sum += r->total;
		lost += threads[i].life - threads[i].cpu;
		cmin = r->count < cmin ? r->count : cmin;
		cmax = r->count > cmax ? r->count : cmax;
		longest = r->total > longest ? r->total : longest;
		smin = syncs < smin ? syncs : smin;
		smax = syncs > smax ? syncs : smax;
		all_preempted &= r->count > 0;
	}
	lost_ticks = (uint64_t)((double)lost * tables[0].hz / 1e9);
	ratio = (double)sum / lost_ticks;
	/*
	 * (c) Each thread lost to the others the part of its life it did not
	 * spend on a CPU (CLOCK_THREAD_CPUTIME_ID against its wall time): the
	 * guests never block, so that is all time spent runnable, waiting
	 * for one of the 2 CPUs (about 30/32 of it here). DESCHEDULED counts
	 * the part spent inside KVM_RUN (kvm_sched_out() marks the vCPU
	 * preempted only if its thread is runnable there), which is all of
	 * it but preemption while the thread is in user space for a sync:
	 * one ucall per HVCS_PER_SYNC HVCs, a few percent at most. So the
	 * ratio is at most 1 (up to the counter's and the clocks'
	 * granularity) and not much below; 0.85 leaves room for the syncs.
	 */
	ksft_test_result(ratio >= 0.85 && ratio <= 1.01,
			 "(c) DESCHEDULED accounts for the lost time: %lu ticks in all, the threads lost %lu off their CPUs: %.3f of it (0.85..1.01 allowed; %.1f times the %lu-tick run)\n",
			 sum, lost_ticks, ratio, (double)sum / wall_ticks, wall_ticks);
	ksft_test_result(all_preempted && longest <= wall_ticks,
			 "(d) every vCPU was preempted inside KVM_RUN: DESCHEDULED count %lu..%lu per vCPU, at most %lu ticks each (run: %lu); syncs %lu..%lu\n",
			 cmin, cmax, longest, wall_ticks, smin, smax);

	for (i = 0; i < nr_vms; i++)
		kvm_vm_free(vms[i]);
	ksft_finished();
}
