// SPDX-License-Identifier: GPL-2.0
#include <unistd.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "processor.h"
#include "arch_timer.h"
#include "gic.h"
#include "vgic.h"
#include "ket_gic.h"

/* The GIC version, set by the host in ket_vgic_setup(). */
static int ket_gic_version;

/* GICv2 registers (offsets from the distributor and CPU interface). */
#define GICD_CTLR		0x000
#define GICD_TYPER		0x004
#define GICD_ISENABLER(n)	(0x100 + 4 * (n))
#define GICD_ICFGR(n)		(0xc00 + 4 * (n))
#define GICD_SGIR		0xf00
#define GICC_CTLR		0x000
#define GICC_PMR		0x004
#define GICC_IAR		0x00c
#define GICC_EOIR		0x010

#define GICD(off)	((volatile void *)(GICD_BASE_GPA + (off)))
#define GICC(off)	((volatile void *)(KET_GICC_BASE_GPA + (off)))

int ket_vgic_setup(struct kvm_vm *vm, int nr_vcpus)
{
	uint32_t nr_irqs = KET_NR_IRQS;
	uint64_t addr;
	int fd;

	fd = vgic_v3_setup(vm, nr_vcpus, nr_irqs);
	if (fd >= 0) {
		ket_gic_version = 3;
	} else {
		fd = __kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V2);
		__TEST_REQUIRE(fd >= 0, "neither a GICv3 nor a GICv2 vGIC can be created");
		kvm_device_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
		addr = GICD_BASE_GPA;
		kvm_device_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_V2_ADDR_TYPE_DIST, &addr);
		addr = KET_GICC_BASE_GPA;
		kvm_device_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_V2_ADDR_TYPE_CPU, &addr);
		kvm_device_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				    KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
		virt_map(vm, GICD_BASE_GPA, GICD_BASE_GPA,
			 vm_calc_num_guest_pages(vm->mode, KVM_VGIC_V2_DIST_SIZE));
		virt_map(vm, KET_GICC_BASE_GPA, KET_GICC_BASE_GPA,
			 vm_calc_num_guest_pages(vm->mode, KVM_VGIC_V2_CPU_SIZE));
		ket_gic_version = 2;
	}
	/* The vGIC lives on with the VM; its fd would keep the VM alive. */
	close(fd);
	sync_global_to_guest(vm, ket_gic_version);
	return ket_gic_version;
}

void ket_inject_spi_edge(struct kvm_vm *vm, int intid)
{
	uint32_t irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | intid;

	kvm_irq_line(vm, irq, 1);
	kvm_irq_line(vm, irq, 0);
}

void ket_gic_init(int nr_cpus)
{
	if (ket_gic_version == 3) {
		gic_init(GIC_V3, nr_cpus);
		gic_set_priority_mask(0xff);
		return;
	}
	/* Without security extensions group 0 is signalled as IRQ. */
	if (guest_get_vcpuid() == 0)
		writel(1, GICD(GICD_CTLR));
	writel(0xff, GICC(GICC_PMR));
	writel(1, GICC(GICC_CTLR));
}

void ket_gic_irq_enable(int intid)
{
	if (ket_gic_version == 3)
		gic_irq_enable(intid);
	else
		writel(1u << (intid % 32), GICD(GICD_ISENABLER(intid / 32)));
}

void ket_gic_irq_set_edge(int intid)
{
	uint32_t v;

	if (ket_gic_version == 3) {
		gic_irq_set_config(intid, true);
		return;
	}
	v = readl(GICD(GICD_ICFGR(intid / 16)));
	writel(v | 2u << 2 * (intid % 16), GICD(GICD_ICFGR(intid / 16)));
}

uint32_t ket_gic_ack(void)
{
	if (ket_gic_version == 3)
		return gic_get_and_ack_irq();
	return readl(GICC(GICC_IAR));
}

void ket_gic_eoi(uint32_t iar)
{
	if (ket_gic_version == 3)
		gic_set_eoi(iar);
	else
		writel(iar, GICC(GICC_EOIR));
}

void ket_gic_send_sgi(int target, int intid)
{
	uint64_t v;

	if (ket_gic_version == 2) {
		writel((1u << (16 + target)) | intid, GICD(GICD_SGIR));
		return;
	}
	/* Aff1 = target / 16, target list bit Aff0 = target % 16. */
	v = (uint64_t)(target / 16) << 16 | (uint64_t)intid << 24 | 1u << (target % 16);
	write_sysreg_s(v, SYS_ICC_SGI1R_EL1);
	isb();
}

uint32_t ket_gic_dist_read(void)
{
	return readl(GICD(GICD_TYPER));
}

uint64_t ket_timer_irqs[KET_MAX_VCPUS];

void ket_guest_irq_handler(struct ex_regs *regs)
{
	uint32_t iar = ket_gic_ack();

	if (KET_INTID(iar) == KET_VTIMER_INTID) {
		timer_set_ctl(VIRTUAL, CTL_IMASK);
		WRITE_ONCE(ket_timer_irqs[guest_get_vcpuid()],
			   ket_timer_irqs[guest_get_vcpuid()] + 1);
	}
	ket_gic_eoi(iar);
}

void ket_install_irq_handler(struct kvm_vm *vm, struct kvm_vcpu **vcpus, int nr_vcpus)
{
	int i;

	TEST_ASSERT(nr_vcpus <= KET_MAX_VCPUS, "%d vCPUs, at most %d", nr_vcpus, KET_MAX_VCPUS);
	vm_init_descriptor_tables(vm);
	for (i = 0; i < nr_vcpus; i++)
		vcpu_init_descriptor_tables(vcpus[i]);
	vm_install_exception_handler(vm, VECTOR_IRQ_CURRENT, ket_guest_irq_handler);
}
