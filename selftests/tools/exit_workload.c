// SPDX-License-Identifier: GPL-2.0
/*
 * exit_workload: a guest workload for demos. Each vCPU, every round:
 *   - makes HVCs that KVM handles (PSCI_VERSION),
 *   - reads the GIC distributor (MMIO emulated in the kernel),
 *   - sends an SGI to the next vCPU (an IPI),
 *   - arms its virtual timer and waits for it in WFI (timer interrupts),
 * and every 10 rounds reports progress through a ucall (MMIO completed by
 * this VMM). When kvm_exit_timing is loaded, it prints the VM's tables
 * before it destroys the VM.
 *
 * Usage: exit_workload [-v vcpus] [-r rounds]   (default: 2 vCPUs, 200 rounds)
 */
#include <pthread.h>
#include <stdlib.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "arch_timer.h"
#include "ucall_common.h"
#include "ket_gic.h"
#include "ket_module.h"
#include "ket_opt.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define MAX_VCPUS	KET_MAX_VCPUS
#define HVCS		5
#define DIST_READS	5
#define SGI_INTID	1

static uint64_t rounds = 200, nr_vcpus = 2;
static uint64_t timer_delta;		/* counter ticks: 100 us */

static void guest_code(void)
{
	uint32_t me = guest_get_vcpuid(), n = READ_ONCE(nr_vcpus);
	struct arm_smccc_res res;
	uint64_t r, i, fired;

	ket_gic_init(n);
	ket_gic_irq_enable(SGI_INTID);
	ket_gic_irq_enable(KET_VTIMER_INTID);
	ket_gic_irq_enable(KET_KICK_INTID);
	local_irq_enable();
	for (r = 0; r < READ_ONCE(rounds); r++) {
		for (i = 0; i < HVCS; i++)
			smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
		for (i = 0; i < DIST_READS; i++)
			(void)ket_gic_dist_read();
		if (n > 1)
			ket_gic_send_sgi((me + 1) % n, SGI_INTID);
		fired = READ_ONCE(ket_timer_irqs[me]);
		timer_set_cval(VIRTUAL, timer_get_cntct(VIRTUAL) + READ_ONCE(timer_delta));
		timer_set_ctl(VIRTUAL, CTL_ENABLE);
		while (READ_ONCE(ket_timer_irqs[me]) == fired)
			wfi();
		if (r % 10 == 9)
			GUEST_SYNC(r / 10);
	}
	GUEST_DONE();
}

static void print_file(const char *path)
{
	char *text = ket_slurp(path, NULL);

	if (!text)
		return;
	printf("\n$ cat %s\n%s", path, text);
	free(text);
}

static const char usage[] =
	"usage: %1$s [-v vcpus] [-r rounds] [-h]\n"
	"  -v: vCPUs of the VM, 1..8 (default 2)\n"
	"  -r: rounds each vCPU makes, 1..1000000 (default 200)\n"
	"  -h: this help\n";

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	struct ket_vcpu_thread threads[MAX_VCPUS];
	char dir[128], path[192];
	struct kvm_vm *vm;
	int i, gic, opt;

	while ((opt = getopt(argc, argv, "hv:r:")) != -1) {
		switch (opt) {
		case 'v':
			nr_vcpus = ket_opt_num(opt, optarg, 1, MAX_VCPUS);
			break;
		case 'r':
			rounds = ket_opt_num(opt, optarg, 1, 1000000);
			break;
		case 'h':
			ket_usage(usage, KSFT_PASS);
		default:
			ket_usage(usage, KSFT_FAIL);
		}
	}
	ket_no_operands(argc, argv, usage);

	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	gic = ket_vgic_setup(vm, nr_vcpus);
	ket_install_irq_handler(vm, vcpus, nr_vcpus);
	timer_delta = ket_counter_hz() / 10000;
	sync_global_to_guest(vm, timer_delta);
	sync_global_to_guest(vm, rounds);
	sync_global_to_guest(vm, nr_vcpus);

	for (i = 0; i < nr_vcpus; i++)
		ket_vcpu_thread_start(&threads[i], vcpus[i]);
	for (i = 0; i < nr_vcpus; i++)
		TEST_ASSERT(ket_vcpu_thread_join(vm, &threads[i]),
			    "vCPU %d stopped before GUEST_DONE (above)", i);
	printf("exit_workload: VM %d-%d (GICv%d): %lu vCPUs x %lu rounds of %d HVCs, %d distributor reads, an SGI, a timer interrupt in WFI; a ucall every 10 rounds\n",
	       getpid(), vm->fd, gic, nr_vcpus, rounds, HVCS, DIST_READS);

	if (ket_module_loaded()) {
		ket_vm_dir(vm, dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/summary", dir);
		if (ket_wait_for(path, 10))
			print_file(path);
		snprintf(path, sizeof(path), "%s/vcpu0/stats", dir);
		print_file(path);
	}
	kvm_vm_free(vm);
	return 0;
}
