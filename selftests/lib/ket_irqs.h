/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's interrupt counts, from /proc/interrupts: what the
 * interrupts breakdown's rows can be checked against.
 */
#ifndef KET_IRQS_H
#define KET_IRQS_H

#include <stdint.h>

#define KET_MAX_IRQ_LINES	128

/* A line of /proc/interrupts: its label ("11", "IPI0", "Err"), its
 * description (the rest of the line after the counts, trimmed), and its
 * count summed over every CPU. */
struct ket_irq_line {
	char label[16];
	char desc[96];
	uint64_t count;
};

struct ket_irqs {
	int nlines;
	struct ket_irq_line lines[KET_MAX_IRQ_LINES];
};

/* Reads /proc/interrupts into @irqs; fails the test if it cannot. */
void ket_proc_interrupts(struct ket_irqs *irqs);

/* The count of the line labelled @label, or (@label NULL) of the first
 * line whose description ends with @desc; 0 if there is none. */
uint64_t ket_irq_count(const struct ket_irqs *irqs, const char *label, const char *desc);

#endif /* KET_IRQS_H */
