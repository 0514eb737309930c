// SPDX-License-Identifier: GPL-2.0
/*
 * exit_workload: a guest workload for demos. Each vCPU makes HVCs that KVM
 * handles in the kernel (PSCI_VERSION) and reports progress through ucalls,
 * which on arm64 are MMIO writes completed by this VMM.
 *
 * Usage: exit_workload [vcpus [rounds]]   (default: 2 vCPUs, 200 rounds)
 */
#include <pthread.h>
#include <stdlib.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define MAX_VCPUS	8
#define HVCS_PER_ROUND	10

static uint64_t rounds = 200;

static void guest_code(void)
{
	struct arm_smccc_res res;
	uint64_t r, i;

	for (r = 0; r < READ_ONCE(rounds); r++) {
		for (i = 0; i < HVCS_PER_ROUND; i++)
			smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0, &res);
		GUEST_SYNC(r);
	}
	GUEST_DONE();
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			continue;
		case UCALL_DONE:
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("vCPU %u: unexpected exit %s", vcpu->id,
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	pthread_t threads[MAX_VCPUS];
	struct kvm_vm *vm;
	int nr_vcpus = argc > 1 ? atoi(argv[1]) : 2;
	int i;

	if (argc > 2)
		rounds = strtoull(argv[2], NULL, 0);
	TEST_ASSERT(nr_vcpus >= 1 && nr_vcpus <= MAX_VCPUS,
		    "vcpus must be 1..%d, got '%s'", MAX_VCPUS, argv[1]);

	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	sync_global_to_guest(vm, rounds);
	for (i = 0; i < nr_vcpus; i++)
		pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);
	for (i = 0; i < nr_vcpus; i++)
		pthread_join(threads[i], NULL);
	printf("exit_workload: VM pid %d: %d vCPUs x %llu rounds of %d HVCs + 1 MMIO ucall each, done\n",
	       getpid(), nr_vcpus, (unsigned long long)rounds, HVCS_PER_ROUND);
	kvm_vm_free(vm);
	return 0;
}
