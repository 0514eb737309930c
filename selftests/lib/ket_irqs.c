// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/interrupts, parsed: a header of CPU names, then a line per
 * interrupt with a label, one count per CPU, and a description (for
 * devices the chip, hardware IRQ, trigger and handler names; for IPIs
 * their kind).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "ket_irqs.h"

/* The CPUs the header names. */
static int count_cpus(const char *header)
{
	int n = 0;

	while ((header = strstr(header, "CPU"))) {
		n++;
		header += 3;
	}
	return n;
}

/* Parses one line after the header into @l; false if it is not one. */
static bool parse_line(char *line, int cpus, struct ket_irq_line *l)
{
	char *p = line, *colon, *end;
	size_t len;
	int i;

	while (isspace((unsigned char)*p))
		p++;
	colon = strchr(p, ':');
	if (!colon || colon - p >= (long)sizeof(l->label))
		return false;
	memset(l, 0, sizeof(*l));
	memcpy(l->label, p, colon - p);
	p = colon + 1;
	/* Err and Mis lines have one count only. */
	for (i = 0; i < cpus; i++) {
		uint64_t c = strtoull(p, &end, 10);

		if (end == p)
			break;
		l->count += c;
		p = end;
	}
	while (isspace((unsigned char)*p))
		p++;
	len = strcspn(p, "\n");
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (len >= sizeof(l->desc))
		len = sizeof(l->desc) - 1;
	memcpy(l->desc, p, len);
	return true;
}

void ket_proc_interrupts(struct ket_irqs *irqs)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[1024];
	int cpus;

	TEST_ASSERT(f, "cannot open /proc/interrupts");
	memset(irqs, 0, sizeof(*irqs));
	TEST_ASSERT(fgets(line, sizeof(line), f), "/proc/interrupts is empty");
	cpus = count_cpus(line);
	while (fgets(line, sizeof(line), f) && irqs->nlines < KET_MAX_IRQ_LINES)
		if (parse_line(line, cpus, &irqs->lines[irqs->nlines]))
			irqs->nlines++;
	fclose(f);
}

uint64_t ket_irq_count(const struct ket_irqs *irqs, const char *label, const char *desc)
{
	int i;

	for (i = 0; i < irqs->nlines; i++) {
		const struct ket_irq_line *l = &irqs->lines[i];
		size_t n = desc ? strlen(desc) : 0, m = strlen(l->desc);

		if (label ? !strcmp(l->label, label) :
			    m >= n && !strcmp(l->desc + m - n, desc))
			return l->count;
	}
	return 0;
}
