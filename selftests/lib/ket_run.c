// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE	/* pthread_tryjoin_np() */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_gic.h"
#include "ket_run.h"
#include "ket_vm.h"

uint64_t __ket_run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;

	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr >= KET_MMIO_GPA &&
		    run->mmio.phys_addr < KET_MMIO_GPA + KET_MMIO_SIZE) {
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			continue;
		}
		if (get_ucall(vcpu, uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(*uc);
		return uc->cmd;
	}
}

uint64_t ket_run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	uint64_t cmd = __ket_run_to_ucall(vcpu, uc);

	TEST_ASSERT(cmd != UCALL_NONE, "vCPU %u: unexpected exit %s", vcpu->id,
		    exit_reason_str(vcpu->run->exit_reason));
	return cmd;
}

void ket_run_to(struct kvm_vcpu *vcpu, uint64_t cmd)
{
	struct ucall uc;

	TEST_ASSERT_EQ(ket_run_to_ucall(vcpu, &uc), cmd);
}

void ket_run_to_sync(struct kvm_vcpu *vcpu, uint64_t arg)
{
	struct ucall uc;

	TEST_ASSERT_EQ(ket_run_to_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], arg);
}

bool ket_vcpu_loop(struct ket_vcpu_thread *t)
{
	struct ucall uc;

	for (;;) {
		switch (__ket_run_to_ucall(t->vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] != t->syncs) {
				ksft_print_msg("vCPU %u: sync %lu, expected %lu\n", t->vcpu->id,
					       uc.args[1], t->syncs);
				return false;
			}
			__atomic_store_n(&t->syncs, t->syncs + 1, __ATOMIC_RELAXED);
			continue;
		case UCALL_DONE:
			vcpu_run_complete_io(t->vcpu);
			t->done = true;
			return true;
		default:
			ksft_print_msg("vCPU %u: unexpected exit %s\n", t->vcpu->id,
				       exit_reason_str(t->vcpu->run->exit_reason));
			return false;
		}
	}
}

static void *vcpu_thread(void *t)
{
	ket_vcpu_loop(t);
	return NULL;
}

void ket_vcpu_thread_start(struct ket_vcpu_thread *t, struct kvm_vcpu *vcpu)
{
	memset(t, 0, sizeof(*t));
	t->vcpu = vcpu;
	TEST_ASSERT(!pthread_create(&t->thread, NULL, vcpu_thread, t), "pthread_create");
}

bool ket_vcpu_thread_join(struct kvm_vm *vm, struct ket_vcpu_thread *t)
{
	uint32_t ppi = KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT |
		       t->vcpu->id << KVM_ARM_IRQ_VCPU_SHIFT | KET_KICK_INTID;
	uint64_t syncs = ket_vcpu_syncs(t), kicks = 0;
	int still = 0;	/* 100 ms periods without a sync */

	while (pthread_tryjoin_np(t->thread, NULL)) {
		usleep(100000);
		if (ket_vcpu_syncs(t) != syncs) {
			syncs = ket_vcpu_syncs(t);
			still = 0;
			continue;
		}
		if (++still < 10)
			continue;
		kvm_irq_line(vm, ppi, 1);
		kvm_irq_line(vm, ppi, 0);
		kicks++;
	}
	if (kicks)
		fprintf(stderr, "vCPU %u made no sync for a second: kicked %lu times\n",
			t->vcpu->id, kicks);
	return t->done;
}

/* HVCs the guest of ket_guest_hvcs_on_demand() makes before its next sync. */
static uint64_t ket_hvcs_asked;

void ket_guest_hvcs_on_demand(void)
{
	for (;;) {
		GUEST_SYNC(0);
		ket_guest_hvcs(READ_ONCE(ket_hvcs_asked));
	}
}

void ket_run_hvcs(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t n)
{
	ket_hvcs_asked = n;
	sync_global_to_guest(vm, ket_hvcs_asked);
	ket_run_to_sync(vcpu, 0);
}

uint64_t ket_spurious_wakes, ket_spis_taken;

void ket_guest_wfi_spi(void)
{
	uint32_t iar;

	for (;;) {
		wfi();
		iar = ket_gic_ack();
		if (KET_INTID(iar) == KET_SPI_INTID)
			break;
		GUEST_ASSERT_EQ(KET_INTID(iar), 1023);
		WRITE_ONCE(ket_spurious_wakes, ket_spurious_wakes + 1);
	}
	ket_gic_eoi(iar);
	WRITE_ONCE(ket_spis_taken, ket_spis_taken + 1);
}

static void *run_to_sync_1(void *vcpu)
{
	ket_run_to_sync(vcpu, 1);
	return NULL;
}

void ket_wake_each_wfi(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t n)
{
	volatile uint64_t *taken = addr_gva2hva(vm, (vm_vaddr_t)&ket_spis_taken);
	volatile uint64_t *spurious = addr_gva2hva(vm, (vm_vaddr_t)&ket_spurious_wakes);
	int fd = ket_vcpu_stats_fd(vcpu);
	uint64_t base = *taken, i;
	pthread_t thread;

	pthread_create(&thread, NULL, run_to_sync_1, vcpu);
	for (i = 0; i < n; i++) {
		time_t give_up = time(NULL) + 60;

		/* The guest took every SPI so far and waits, blocked in a WFI
		 * that trapped. A minute at most: then say where it stands
		 * rather than hang. */
		while (*taken != base + i || !ket_stat_read(fd, "blocking")) {
			TEST_ASSERT(time(NULL) < give_up,
				    "WFI %lu of %lu: no blocked vCPU within 60 s (%lu SPIs taken, %lu spurious wakes, wfi_exit_stat %lu)",
				    i + 1, n, *taken - base, *spurious, ket_stat_read(fd, "wfi_exit_stat"));
			usleep(100);
		}
		ket_inject_spi_edge(vm, KET_SPI_INTID);
	}
	pthread_join(thread, NULL);
	close(fd);
}
