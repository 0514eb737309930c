/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running the test VMs' vCPUs: to their next ucall, and in threads of
 * their own until the guest is done.
 */
#ifndef KET_RUN_H
#define KET_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm_util.h"
#include "ucall_common.h"

/*
 * Unbacked guest memory, 128 KiB, whose reads ket_run_to_ucall()
 * completes (with zeros): a DABT_IO_USER exit each. A guest reads a page
 * of it once the host mapped it, e.g. virt_map(vm, KET_MMIO_GPA,
 * KET_MMIO_GPA, 1).
 */
#define KET_MMIO_GPA	0xa0000000ULL
#define KET_MMIO_SIZE	0x20000

/*
 * Runs @vcpu to its next ucall, completing its reads of KET_MMIO_GPA's
 * region, and
 * returns the ucall's command; a guest assertion fails the test.
 * __ket_run_to_ucall() returns UCALL_NONE if the vCPU stopped for anything
 * else; ket_run_to_ucall() fails the test then.
 */
uint64_t __ket_run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
uint64_t ket_run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);

/* Runs @vcpu to its next ucall, which must be @cmd (UCALL_SYNC, UCALL_DONE). */
void ket_run_to(struct kvm_vcpu *vcpu, uint64_t cmd);

/* Runs @vcpu to its next ucall, which must be GUEST_SYNC(@arg). */
void ket_run_to_sync(struct kvm_vcpu *vcpu, uint64_t arg);

/* A vCPU that runs in a thread of its own, GUEST_SYNC to GUEST_DONE. */
struct ket_vcpu_thread {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	uint64_t syncs;		/* syncs seen; other threads read it atomically */
	bool done;		/* reached GUEST_DONE with every sync in order */
};

/*
 * Runs @t's vCPU in the calling thread until GUEST_DONE, counting its
 * syncs, which must come in order: GUEST_SYNC(0), GUEST_SYNC(1), ... At
 * GUEST_DONE it completes the pending exit (vcpu_run_complete_io()), so
 * that the vCPU's table is whole, and sets t->done. Returns t->done; on
 * a sync out of order or another stop it says what happened.
 */
bool ket_vcpu_loop(struct ket_vcpu_thread *t);

/* Starts a thread that runs ket_vcpu_loop(@t) for @vcpu. */
void ket_vcpu_thread_start(struct ket_vcpu_thread *t, struct kvm_vcpu *vcpu);

/*
 * A PPI the guest enables and ignores, which ket_vcpu_thread_join() raises
 * to end a WFI whose wake-up was lost.
 */
#define KET_KICK_INTID	20

/*
 * Joins @t's thread and returns t->done. While its vCPU makes no sync for
 * a second, raises KET_KICK_INTID on it every 100 ms: the nested bed has
 * been seen to lose the timer wake-up of a vCPU waiting in WFI (it sleeps
 * in kvm_vcpu_block() with its timer long expired), and any interrupt ends
 * that wait. A vCPU that syncs at least every second is never kicked; the
 * kicks, if any, are said on stderr.
 */
bool ket_vcpu_thread_join(struct kvm_vm *vm, struct ket_vcpu_thread *t);

/* The syncs @t's vCPU made so far, from any thread. */
static inline uint64_t ket_vcpu_syncs(struct ket_vcpu_thread *t)
{
	return __atomic_load_n(&t->syncs, __ATOMIC_RELAXED);
}

/*
 * A guest that makes HVCs on demand: GUEST_SYNC(0), then the HVCs the host
 * asked for with ket_run_hvcs(), then GUEST_SYNC(0) again, forever.
 */
void ket_guest_hvcs_on_demand(void);

/* Runs @vcpu of @vm (running ket_guest_hvcs_on_demand()) from its sync
 * to the next, making @n HVCs on the way. */
void ket_run_hvcs(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t n);

/*
 * A WFI woken by SPI KET_SPI_INTID, for a guest whose vGIC has it enabled
 * and edge-triggered, interrupts masked: guest code that WFIs until the
 * SPI ends one, counting WFIs that ended without it (the architecture
 * allows it; KVM does it when the vCPU thread takes a signal) in
 * ket_spurious_wakes, then acknowledges and ends the SPI and counts it in
 * ket_spis_taken.
 */
void ket_guest_wfi_spi(void);
extern uint64_t ket_spurious_wakes, ket_spis_taken;

/*
 * Host: runs @vcpu in a thread to GUEST_SYNC(1) while it makes @n
 * ket_guest_wfi_spi(), injecting each SPI only once the guest took the
 * previous one and the vCPU is blocked (KVM's "blocking" stat): in a WFI
 * that trapped, so every WFI of the n traps (one with an interrupt
 * already pending would not). A WFI that woke without its SPI is made
 * again; that one traps unless the SPI came meanwhile. So KVM counts from
 * n to n + ket_spurious_wakes WFI exits; read both from the guest after.
 */
void ket_wake_each_wfi(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t n);

#endif /* KET_RUN_H */
