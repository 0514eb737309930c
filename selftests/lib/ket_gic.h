/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A vGIC for the test VMs on whatever GIC the host has: GICv3 through the
 * selftest library, GICv2 set up by hand (the 6.12 library drives only
 * GICv3). Host-side set-up, and a small guest-side driver for both.
 */
#ifndef KET_GIC_H
#define KET_GIC_H

#include <stdint.h>

#include "kvm_util.h"
#include "processor.h"

#define KET_GICC_BASE_GPA	0x8030000ULL	/* GICv2 CPU interface */
#define KET_VTIMER_INTID	27
#define KET_SPI_INTID		40
#define KET_NR_IRQS		64
#define KET_INTID(iar)		((iar) & 0x3ff)
#define KET_MAX_VCPUS		8	/* of a VM using ket_guest_irq_handler() */

/*
 * Host: gives @vm (whose @nr_vcpus vCPUs all exist) an in-kernel vGIC
 * matching the host's GIC. Returns 3 or 2, and tells the guest.
 */
int ket_vgic_setup(struct kvm_vm *vm, int nr_vcpus);

/* Host: raises and lowers SPI @intid (configured edge-triggered). */
void ket_inject_spi_edge(struct kvm_vm *vm, int intid);

/* Guest side. */
void ket_gic_init(int nr_cpus);
void ket_gic_irq_enable(int intid);
void ket_gic_irq_set_edge(int intid);
/* Acknowledges the highest pending interrupt; KET_INTID() of it is 1023
 * if none. Pass the value to ket_gic_eoi(). */
uint32_t ket_gic_ack(void);
void ket_gic_eoi(uint32_t iar);
/* Sends SGI @intid to vCPU @target: an ICC_SGI1R_EL1 write (GICv3) or a
 * GICD_SGIR write (GICv2). */
void ket_gic_send_sgi(int target, int intid);
/* One read of a distributor register (GICD_TYPER): MMIO KVM emulates. */
uint32_t ket_gic_dist_read(void);

/* Guest: the virtual timer interrupts each vCPU took in
 * ket_guest_irq_handler(); the host reads them with
 * sync_global_from_guest(). */
extern uint64_t ket_timer_irqs[KET_MAX_VCPUS];

/* Guest IRQ handler: acknowledges and ends the interrupt; a virtual timer
 * interrupt also masks the timer (one interrupt per arming) and counts in
 * ket_timer_irqs[]. */
void ket_guest_irq_handler(struct ex_regs *regs);

/* Host: installs ket_guest_irq_handler() on @vm's @nr_vcpus @vcpus. */
void ket_install_irq_handler(struct kvm_vm *vm, struct kvm_vcpu **vcpus, int nr_vcpus);

#endif /* KET_GIC_H */
