// SPDX-License-Identifier: GPL-2.0
/*
 * access_test: kvm_exit_timing's debugfs tree is root-only and leaks no
 * kernel pointer.
 *
 * With two VMs (2 and 1 vCPUs) that made exits, the whole tree is walked:
 * every entry is root:root; directories are 0755 (debugfs_create_dir()
 * takes no mode: fs/debugfs/inode.c sets S_IFDIR | S_IRWXU | S_IRUGO |
 * S_IXUGO) and files have their documented modes; the tree holds exactly
 * this process's VMs ("<pid>-<fd>") and their vCPUs. A child that drops
 * to uid/gid 65534 with no groups then gets EACCES opening any file for
 * reading or writing, both by path (denied at /sys/kernel/debug, debugfs's
 * root, mode 0700 by default: DEBUGFS_DEFAULT_MODE) and relative to
 * directory fds root opened for it (denied by the file's own mode).
 * Last, every readable file is read as root and must hold nothing that
 * looks like a kernel pointer: "(null)", "0x" and 12+ hex digits, 16+ hex
 * digits starting with "ffff", or 8+ hex digits mixing letters and digits
 * without "0x" (the legitimate text is decimals, names, "<pid>-<fd>", the
 * clock, "Hz", and in breakdowns SMCCC function IDs and guest-physical
 * regions as "0x" and up to 11 hex digits).
 *
 * Needs root and no other VM running; loads the module if needed.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "ket_module.h"
#include "ket_run.h"
#include "ket_table.h"
#include "ket_vm.h"

#define DEBUGFS		"/sys/kernel/debug"
#define NOBODY		65534
#define MAX_NODES	64
#define HVCS		10

/* What the child found wrong: bits of its exit status. */
enum { BAD_BY_PATH = 1, BAD_LAYER = 2, BAD_BY_FD = 4, BAD_DROP = 8 };

struct node {
	char path[256];
	int depth;		/* 0: the module's root, 1: in it, ... */
	struct stat st;
};

static struct node nodes[MAX_NODES];
static int nr_nodes;

static void guest_code(void)
{
	ket_guest_hvcs(HVCS);
	GUEST_SYNC(0);
	GUEST_DONE();
}

static void walk(const char *path, int depth)
{
	struct node *n;
	struct dirent *d;
	char child[256];
	DIR *dir;

	TEST_ASSERT(nr_nodes < MAX_NODES, "more than %d entries under " KET_DEBUGFS_ROOT,
		    MAX_NODES);
	n = &nodes[nr_nodes++];
	snprintf(n->path, sizeof(n->path), "%s", path);
	n->depth = depth;
	/* ENOENT: a directory of another test's VM going (see main()). */
	if (lstat(path, &n->st)) {
		TEST_ASSERT(errno == ENOENT && depth, "lstat %s: %s", path, strerror(errno));
		nr_nodes--;
		return;
	}
	if (!S_ISDIR(n->st.st_mode))
		return;
	dir = opendir(path);
	if (!dir && errno == ENOENT && depth)
		return;
	TEST_ASSERT(dir, "opendir %s: %s", path, strerror(errno));
	while ((d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		TEST_ASSERT(snprintf(child, sizeof(child), "%s/%s", path, d->d_name) <
			    sizeof(child), "path too long: %s/%s", path, d->d_name);
		walk(child, depth + 1);
	}
	closedir(dir);
}

/* A file's documented mode, by where it is; 0 if no file belongs there. */
static mode_t file_mode(const struct node *n)
{
	static const struct { int depth; const char *name; mode_t mode; } files[] = {
		{ 1, "control", 0600 }, { 1, "summary", 0400 }, { 2, "summary", 0400 },
		{ 2, "reset", 0200 }, { 3, "stats", 0400 }, { 3, "histogram", 0400 },
	};
	int i;

	/* The breakdown files and ipi, 0400 at every level. */
	if (ket_is_breakdown(strrchr(n->path, '/') + 1) || !strcmp(strrchr(n->path, '/') + 1, "ipi"))
		return n->depth >= 1 && n->depth <= 3 ? 0400 : 0;

	for (i = 0; i < ARRAY_SIZE(files); i++)
		if (n->depth == files[i].depth && !strcmp(strrchr(n->path, '/') + 1, files[i].name))
			return files[i].mode;
	return 0;
}

static void test_modes(void)
{
	int i, count[2] = { 0 };	/* [0]: files, [1]: directories */
	bool good[2] = { true, true };

	for (i = 0; i < nr_nodes; i++) {
		const struct node *n = &nodes[i];
		mode_t m = n->st.st_mode & 07777;
		mode_t want = S_ISDIR(n->st.st_mode) ? 0755 : S_ISREG(n->st.st_mode) ? file_mode(n) : 0;
		bool ok = want && m == want && !n->st.st_uid && !n->st.st_gid;

		if (!ok)
			ksft_print_msg("  %s: type %o mode %o owner %u:%u, want %s %o 0:0\n", n->path,
				       n->st.st_mode & S_IFMT, m, n->st.st_uid, n->st.st_gid,
				       S_ISDIR(n->st.st_mode) ? "directory" : "file", want);
		count[!!S_ISDIR(n->st.st_mode)]++;
		good[!!S_ISDIR(n->st.st_mode)] &= ok;
	}
	ksft_test_result(good[1] && count[1] == 6,
			 "%d directories (want 6), all 0755 root:root: not group- or world-writable\n",
			 count[1]);
	/* 8 at the root (control, summary, the 5 breakdowns, ipi), 8 in each
	 * of the 2 VMs (summary, reset, the same 6), 8 in each of the 3 vCPUs
	 * (stats, histogram, the same 6); all but the 2 resets readable. */
	ksft_test_result(good[0] && count[0] == 48,
			 "%d files (want 48), all root:root; control 0600, reset 0200, summary, stats, histogram, breakdowns, ipi 0400\n",
			 count[0]);
}

/* Whether the directories are exactly the module's root and @want[]. */
static bool names_match(char want[][128], int nr_want, bool verbose)
{
	int i, w, found, missing = nr_want;
	bool ok = true;

	for (i = 1; i < nr_nodes; i++) {
		if (!S_ISDIR(nodes[i].st.st_mode))
			continue;
		for (w = 0, found = 0; w < nr_want; w++)
			found += !strcmp(nodes[i].path, want[w]);
		missing -= found;
		if (!found && verbose)
			ksft_print_msg("  unexpected directory %s\n", nodes[i].path);
		ok &= found;
	}
	if (missing && verbose)
		ksft_print_msg("  %d of the expected directories missing\n", missing);
	return ok && !missing;
}

/* Whether an open by the unprivileged child failed with EACCES. */
static bool denied(int fd, const char *how, const char *path, const char *flags)
{
	int err = errno;

	if (fd >= 0)
		close(fd);
	if (fd < 0 && err == EACCES)
		return true;
	ksft_print_msg("  %s(%s, %s): %s, want EACCES\n", how, path, flags,
		       fd >= 0 ? "succeeded" : strerror(err));
	return false;
}

/* Child: 0 or BAD_* bits. @dfd[i] is the directory of nodes[i], opened by
 * root before the privileges were dropped. */
static int unprivileged(const int *dfd)
{
	static const int flags[] = { O_RDONLY, O_WRONLY };
	static const char *const names[] = { "O_RDONLY", "O_WRONLY" };
	int i, f, fd, bad = 0, listed = 0;
	struct dirent *d;
	struct stat st;
	DIR *dir;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) || getuid() != NOBODY ||
	    geteuid() != NOBODY || getegid() != NOBODY || getgroups(0, NULL) || !setuid(0)) {
		ksft_print_msg("  cannot drop to uid/gid %d: %s\n", NOBODY, strerror(errno));
		return BAD_DROP;
	}
	for (i = 0; i < nr_nodes; i++) {
		for (f = 0; f < 2 && !S_ISDIR(nodes[i].st.st_mode); f++) {
			if (!denied(open(nodes[i].path, flags[f]), "open", nodes[i].path, names[f]))
				bad |= BAD_BY_PATH;
			if (!denied(openat(dfd[i], strrchr(nodes[i].path, '/') + 1, flags[f]),
				    "openat from its directory's fd", nodes[i].path, names[f]))
				bad |= BAD_BY_FD;
		}
	}
	/* Which layer denies paths: debugfs's root, which the child may
	 * stat (it is in /sys/kernel, 0755) but neither list nor search. */
	if (stat(DEBUGFS, &st) || (st.st_mode & 07777) != 0700 || st.st_uid || st.st_gid) {
		ksft_print_msg("  " DEBUGFS ": want mode 700 owner 0:0\n");
		bad |= BAD_LAYER;
	}
	if (!denied(open(DEBUGFS, O_RDONLY | O_DIRECTORY), "open", DEBUGFS, "O_DIRECTORY"))
		bad |= BAD_LAYER;
	if (!stat(KET_DEBUGFS_ROOT, &st) || errno != EACCES) {
		ksft_print_msg("  stat(" KET_DEBUGFS_ROOT ") did not fail with EACCES\n");
		bad |= BAD_LAYER;
	}
	/* Not asserted, reported: directories are 0755, so a process handed
	 * one of their fds can list the tree, though it can open no file. */
	fd = openat(dfd[0], ".", O_RDONLY | O_DIRECTORY);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	while (dir && (d = readdir(dir)))
		listed += strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
	ksft_print_msg("  uid %d, handed an fd of " KET_DEBUGFS_ROOT ": reopening it %s, %d names listed\n",
		       NOBODY, dir ? "works (0755)" : strerror(errno), listed);
	return bad;
}

static void test_unprivileged(void)
{
	int dfd[MAX_NODES] = { 0 }, i, status, bad;
	char dir[256];
	pid_t pid;

	for (i = 0; i < nr_nodes; i++) {
		TEST_ASSERT(snprintf(dir, sizeof(dir), "%s", nodes[i].path) < sizeof(dir),
			    "path too long");
		if (i)
			*strrchr(dir, '/') = 0;
		dfd[i] = open(dir, O_RDONLY | O_DIRECTORY);
		TEST_ASSERT(dfd[i] >= 0, "open %s: %s", dir, strerror(errno));
	}
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		bad = unprivileged(dfd);
		fflush(stdout);
		_exit(bad);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	bad = WIFEXITED(status) ? WEXITSTATUS(status) : 0xff;
	if (!WIFEXITED(status))
		ksft_print_msg("  the unprivileged child died: status %#x\n", status);
	for (i = 0; i < nr_nodes; i++)
		close(dfd[i]);
	ksft_test_result(!(bad & (BAD_BY_PATH | BAD_DROP)),
			 "uid/gid %d: every file's open by path, O_RDONLY and O_WRONLY, fails with EACCES\n",
			 NOBODY);
	ksft_test_result(!(bad & (BAD_LAYER | BAD_DROP)),
			 "uid/gid %d: paths are denied at " DEBUGFS " (0700 root:root): stat of "
			 KET_DEBUGFS_ROOT " and listing " DEBUGFS " fail with EACCES\n", NOBODY);
	ksft_test_result(!(bad & (BAD_BY_FD | BAD_DROP)),
			 "uid/gid %d: every file's open relative to its directory's fd fails with EACCES (the file's own mode)\n",
			 NOBODY);
}

#define HEX	"0123456789abcdefABCDEF"

/* What in @line looks like a kernel pointer, or NULL. The legitimate
 * text is decimals and words with few hex letters in a row. */
static const char *pointer_like(const char *line)
{
	const char *p;
	size_t n, i, digits;

	if (strstr(line, "(null)"))
		return "(null)";
	for (p = line; *p; p++) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			/* SMCCC function IDs (8 digits) and guest-physical
			 * regions (up to 11) are printed so; pointers have 16. */
			n = strspn(p + 2, HEX);
			if (n >= 12)
				return "0x and 12+ hex digits";
			p += 1 + n;
			continue;
		}
		n = strspn(p, HEX);
		for (i = 0, digits = 0; i < n; i++)
			digits += !!isdigit((unsigned char)p[i]);
		if (n >= 16 && !strncasecmp(p, "ffff", 4))
			return "16+ hex digits starting with ffff";
		if (n >= 8 && digits && digits < n)
			return "8+ hex digits, letters and digits";
	}
	return NULL;
}

static void test_no_pointers(void)
{
	int i, files = 0, lines = 0, bad = 0;

	for (i = 0; i < nr_nodes; i++) {
		char *text, *line, *save = NULL;
		const char *why;

		if (!S_ISREG(nodes[i].st.st_mode) || !(nodes[i].st.st_mode & 0400))
			continue;
		text = ket_slurp(nodes[i].path, NULL);
		if (!text) {
			ksft_print_msg("  %s: cannot read as root: %s\n", nodes[i].path, strerror(errno));
			bad++;
			continue;
		}
		files++;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			lines++;
			why = pointer_like(line);
			if (why) {
				ksft_print_msg("  %s: %s: '%s'\n", nodes[i].path, why, line);
				bad++;
			}
		}
		free(text);
	}
	ksft_test_result(!bad && files == 46 && lines > 0,
			 "%d readable files (want 46), %d lines: no kernel-pointer-like text (%d found)\n",
			 files, lines, bad);
}

int main(void)
{
	struct kvm_vcpu *vcpus[3];
	struct kvm_vm *vms[2];
	const int nr[2] = { 2, 1 };
	char want[5][128];
	struct ket_table t;
	int i, v, nr_want = 0;

	ksft_print_header();
	TEST_REQUIRE(!geteuid());
	ket_require_module();
	ksft_set_plan(7);

	vms[0] = vm_create_with_vcpus(nr[0], guest_code, vcpus);
	vms[1] = vm_create_with_vcpus(nr[1], guest_code, vcpus + nr[0]);
	for (i = 0; i < nr[0] + nr[1]; i++)
		ket_run_to_sync(vcpus[i], 0);
	/* Waits for the directories; then those of VMs that other tests
	 * destroyed may still be going, in the module's work item. */
	for (v = 0; v < 2; v++) {
		char *dir = want[nr_want++];

		ket_vm_dir(vms[v], dir, sizeof(want[0]));
		for (i = 0; i < nr[v]; i++) {
			ket_vcpu_table(vms[v], i, &t);
			snprintf(want[nr_want++], sizeof(want[0]), "%s/vcpu%d", dir, i);
		}
	}
	for (i = 0; i < 1000; i++) {
		nr_nodes = 0;
		walk(KET_DEBUGFS_ROOT, 0);
		if (names_match(want, nr_want, false))
			break;
		usleep(10000);
	}
	ksft_test_result(names_match(want, nr_want, true),
			 "the VM directories are exactly this process's <pid>-<fd>, with vcpu0..vcpuN-1 each\n");
	test_modes();
	test_unprivileged();
	test_no_pointers();

	kvm_vm_free(vms[0]);
	kvm_vm_free(vms[1]);
	ksft_finished();
}
