/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test VMs as kvm_exit_timing sees them: where their tables are, and the
 * equalities that must hold between the tables and KVM's binary stats.
 */
#ifndef KET_VM_H
#define KET_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_util.h"
#include "ket_module.h"
#include "ket_table.h"

/* /sys/kernel/debug/kvm_exit_timing/<pid>-<fd>, as KVM names the VM. */
void ket_vm_dir(struct kvm_vm *vm, char *buf, size_t size);

/*
 * Reads a vCPU's stats table or the VM's summary. The module creates the
 * directories in a work item just after a vCPU first runs: wait up to
 * 10 s for them to appear.
 */
void ket_vcpu_table(struct kvm_vm *vm, int vcpu_id, struct ket_table *t);
void ket_vcpu_histogram(struct kvm_vm *vm, int vcpu_id, struct ket_histogram *h);
void ket_vm_summary(struct kvm_vm *vm, struct ket_table *t);

/* Reads breakdown file @name (sysregs, hypercalls, wfx) of a vCPU or of
 * the VM, waiting for it like ket_vcpu_table(). */
void ket_vcpu_breakdown(struct kvm_vm *vm, int vcpu_id, const char *name,
			struct ket_breakdown *b);
void ket_vm_breakdown(struct kvm_vm *vm, const char *name, struct ket_breakdown *b);

/* Guest code: @n HVC64 exits that KVM handles in the kernel (PSCI_VERSION). */
void ket_guest_hvcs(uint64_t n);

/* Waits up to @seconds for @path to exist; false if it never did. */
bool ket_wait_for(const char *path, int seconds);

/*
 * One of KVM's binary statistics of a vCPU (e.g. "exits"). Getting the
 * stats fd is a vCPU ioctl, which waits for a KVM_RUN in progress: while
 * another thread runs the vCPU, open the fd before and read it with
 * ket_stat_read().
 */
uint64_t ket_vcpu_stat(struct kvm_vcpu *vcpu, const char *name);
int ket_vcpu_stats_fd(struct kvm_vcpu *vcpu);
uint64_t ket_stat_read(int stats_fd, const char *name);
/* The @n values of an array stat (a histogram), into @values. */
void ket_stat_read_array(int stats_fd, const char *name, uint64_t *values, size_t n);

/* Exception classes: the buckets of the vCPU stat hyp_exit_hist. */
#define KET_EL2_CLASSES	64

/* KVM's counts of the traps it handled at EL2 for @vcpu, folded into the
 * rows of the tables' EL2 section. */
void ket_vcpu_el2(struct kvm_vcpu *vcpu, uint64_t el2[KET_EL2_ROWS]);

/*
 * KVM's counters of a vCPU next to kvm_exit_timing's table of it:
 *   exits            == sum of the exit rows
 *   hvc_exit_stat    == HVC32 + HVC64
 *   wfe + wfi        == WFX
 *   mmio_exit_kernel == DABT_IO_MEM + DABT_IO_MEM_IPI
 *   mmio_exit_user   == DABT_IO_USER
 * Call it while the vCPU's thread is out of KVM_RUN with no exit pending
 * (after vcpu_run_complete_io()), on a vCPU timed since it was created or
 * last reset. The EL2 rows count what KVM's hyp_exit_hist does. Prints
 * what differs; true if all hold.
 */
bool ket_kvm_stats_match(struct kvm_vcpu *vcpu, const struct ket_table *t);

/* The arm64 counter's frequency (CNTFRQ_EL0), as the guest's timer sees it. */
uint64_t ket_counter_hz(void);

#endif /* KET_VM_H */
