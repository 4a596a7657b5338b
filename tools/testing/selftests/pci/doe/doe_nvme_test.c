// SPDX-License-Identifier: GPL-2.0
/*
 * The DOE Capability of an NVMe function, which nvme-pci drives through
 * devm_pci_doe_create_devices(pdev, 0): the DOE interrupt shares the
 * vector of its Interrupt Message Number with nvme's handler there (the
 * admin queue's, MSI-X message 0, on QEMU).
 *
 * - features/ lists Discovery, CMA/SPDM and Secured CMA (QEMU's nvme with
 *   spdm_port);
 * - while the kernel owns the DOE Capability, PCI_DOE_IOC_EXCHANGE refuses
 *   CMA/SPDM and Secured CMA with EACCES: no kernel user declared them
 *   safe for userspace;
 * - /proc/interrupts shows the admin queue's action and the DOE's on one
 *   vector, and the DOE handler claims an interrupt per exchange;
 * - with the generic driver unbound, userspace runs SPDM GET_VERSION
 *   through the config space file and gets the responder's VERSION;
 *   binding again aborts and rediscovers;
 * - a controller reset frees and reallocates nvme's vectors: the DOE
 *   handler joins the admin queue's again;
 * and NVMe I/O (O_DIRECT writes and reads of the namespace, checked) goes
 * on throughout, without an error.
 *
 * Needs an NVMe function with a DOE Capability that lists CMA/SPDM, and
 * an SPDM responder behind it that answers GET_VERSION; the lab's nvme
 * set-up has both (QEMU 10, lab/spdm/responder.py).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "../../kselftest_harness.h"
#include "doe_cfg.h"

#define PCI_SIG_VID	0x0001
#define CMA_TYPE	0x01
#define SECURED_CMA	0x02

/* NVMe I/O: 32 KiB at 1 MiB into the namespace, written and read back */
#define IO_OFFSET	(1024 * 1024)
#define IO_BYTES	(32 * 1024)
#define IO_ROUNDS	3	/* good rounds to wait for in each phase */
#define IO_WAIT_MS	20000

FIXTURE(nvme) {
	char bdf[32];
	char ctrl[NAME_MAX + 1];	/* nvmeN */
	char admin[NAME_MAX + 8];	/* nvmeNq0, the admin queue's action */
	char blk[300];		/* /dev/nvmeXnY */
	struct doe_aux aux;	/* the DOE auxiliary device */
};

/* The nvme controller of PCI function @bdf ("nvmeN"); 0 or -ENOENT */
static int nvme_ctrl(const char *bdf, char *ctrl, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int rc = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvme", bdf);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "nvme", 4)) {
			snprintf(ctrl, len, "%s", de->d_name);
			rc = 0;
			break;
		}
	closedir(d);
	return rc;
}

/*
 * The block device of the first namespace of controller @ctrl of @bdf:
 * nvmeXnY below the controller, or its multipath path device nvmeXcZnY,
 * whose block device is the head, nvmeXnY.  0 or -ENOENT.
 */
static int nvme_blk(const char *bdf, const char *ctrl, char *blk, size_t len)
{
	char path[PATH_MAX], name[NAME_MAX + 1];
	unsigned int x, z, y;
	struct dirent *de;
	int rc = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvme/%s", bdf, ctrl);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "nvme%uc%un%u", &x, &z, &y) == 3)
			snprintf(name, sizeof(name), "nvme%un%u", x, y);
		else if (sscanf(de->d_name, "nvme%un%u", &x, &y) == 2)
			snprintf(name, sizeof(name), "%s", de->d_name);
		else
			continue;
		snprintf(blk, len, "/dev/%s", name);
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

FIXTURE_SETUP(nvme)
{
	struct doe_aux aux[DOE_MAX_CAPS * 4];
	char drv[PATH_MAX], real[PATH_MAX];
	int i, n;

	n = doe_aux_list(aux, DOE_MAX_CAPS * 4, 0);
	for (i = 0; i < n; i++) {
		snprintf(drv, sizeof(drv), "/sys/bus/pci/devices/%s/driver", aux[i].bdf);
		if (realpath(drv, real) && !strcmp(strrchr(real, '/'), "/nvme"))
			break;
	}
	ASSERT_LT(i, n) TH_LOG("no DOE auxiliary device of a function bound to nvme");
	self->aux = aux[i];
	snprintf(self->bdf, sizeof(self->bdf), "%s", aux[i].bdf);
	ASSERT_EQ(doe_aux_wait_bound(self->bdf, self->aux.offset, self->aux.name,
				     sizeof(self->aux.name), 30000), 0)
		TH_LOG("%s: the generic DOE driver is not bound", self->aux.name);
	ASSERT_EQ(nvme_ctrl(self->bdf, self->ctrl, sizeof(self->ctrl)), 0);
	snprintf(self->admin, sizeof(self->admin), "%sq0", self->ctrl);
	ASSERT_EQ(nvme_blk(self->bdf, self->ctrl, self->blk, sizeof(self->blk)), 0)
		TH_LOG("%s has no namespace", self->ctrl);
	TH_LOG("%s: %s, %s, DOE 0x%x: %s", self->bdf, self->ctrl, self->blk,
	       self->aux.offset, self->aux.name);

	if (access(DOE_TRACEFS "/events", F_OK))
		ASSERT_EQ(mount("nodev", DOE_TRACEFS, "tracefs", 0, NULL), 0);
	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "0"), 0);
	ASSERT_EQ(doe_trace_write("tracing_on", "1"), 0);
}

/* In the parent, also after a test killed by a signal */
FIXTURE_TEARDOWN_PARENT(nvme)
{
	doe_trace_write("events/pci_doe/enable", "0");
	if (self->aux.name[0] && !doe_aux_bound(self->aux.name))
		EXPECT_EQ(doe_aux_drv("bind", self->aux.name), 0);
}

/* NVMe I/O in a thread: write a pattern, read it back, compare */
struct io {
	const char *dev;
	int stop;		/* atomic */
	long rounds;		/* atomic: good write-and-read rounds */
	long errors, mismatches;
	int last_err;
	pthread_t thread;
};

static void *io_fn(void *arg)
{
	struct io *io = arg;
	uint32_t *w = NULL, *r = NULL;
	uint32_t seq;
	size_t i;
	int fd;

	fd = open(io->dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign((void **)&w, 4096, IO_BYTES) ||
	    posix_memalign((void **)&r, 4096, IO_BYTES)) {
		io->errors++;
		io->last_err = -errno;
		goto out;
	}
	for (seq = 1; !__atomic_load_n(&io->stop, __ATOMIC_ACQUIRE); seq++) {
		for (i = 0; i < IO_BYTES / 4; i++)
			w[i] = seq * 0x9e3779b1u + i;
		memset(r, 0, IO_BYTES);
		if (pwrite(fd, w, IO_BYTES, IO_OFFSET) != IO_BYTES ||
		    pread(fd, r, IO_BYTES, IO_OFFSET) != IO_BYTES) {
			io->errors++;
			io->last_err = -errno;
			continue;
		}
		if (memcmp(w, r, IO_BYTES)) {
			io->mismatches++;
			continue;
		}
		__atomic_add_fetch(&io->rounds, 1, __ATOMIC_RELEASE);
	}
out:
	free(w);
	free(r);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static long io_rounds(struct io *io)
{
	return __atomic_load_n(&io->rounds, __ATOMIC_ACQUIRE);
}

/* Wait until the thread has IO_ROUNDS more good rounds than @from */
static long io_wait(struct io *io, long from)
{
	int i;

	for (i = 0; i < IO_WAIT_MS / 10 && io_rounds(io) < from + IO_ROUNDS; i++)
		usleep(10000);
	return io_rounds(io);
}

static void io_stop(struct io *io)
{
	__atomic_store_n(&io->stop, 1, __ATOMIC_RELEASE);
	pthread_join(io->thread, NULL);
}

/* features/ holds exactly @want, each file "VVVV:TT\n" */
static void check_features(struct __test_metadata *_metadata, const char *name,
			   const char * const *want, int nwant)
{
	char path[PATH_MAX + 16], buf[32], line[16];
	struct dirent *de;
	int i, files = 0;
	DIR *d;

	for (i = 0; i < nwant; i++) {
		snprintf(path, sizeof(path), DOE_AUX_DEVS "/%s/features/%s", name, want[i]);
		snprintf(line, sizeof(line), "%s", want[i]);
		EXPECT_EQ(doe_sysfs_read(path, buf, sizeof(buf)), 0) TH_LOG("%s", path);
		EXPECT_STREQ(buf, line);
	}
	snprintf(path, sizeof(path), DOE_AUX_DEVS "/%s/features", name);
	d = opendir(path);
	ASSERT_TRUE(!!d) TH_LOG("%s: %s", path, strerror(errno));
	while ((de = readdir(d)))
		files += de->d_name[0] != '.';
	closedir(d);
	EXPECT_EQ(files, nwant) TH_LOG("%s: %d files", path, files);
}

static const char * const nvme_features[] = { "0001:00", "0001:01", "0001:02" };

/*
 * features/ lists Discovery, CMA/SPDM and Secured CMA, as Discovery
 * through the ioctl does
 */
TEST_F(nvme, features_list_cma)
{
	struct doe_protocol p[DOE_MAX_PROTOCOLS];
	int fd, n, i;

	check_features(_metadata, self->aux.name, nvme_features, 3);
	fd = doe_dev_open(self->aux.name);
	ASSERT_GE(fd, 0);
	n = doe_ioctl_discover(fd, p, DOE_MAX_PROTOCOLS);
	close(fd);
	ASSERT_EQ(n, 3);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(p[i].vid, PCI_SIG_VID);
		EXPECT_EQ(p[i].type, i);
	}
}

/* SPDM GET_VERSION (DSP0274), as CMA sends it: version 1.0 */
static const uint8_t get_version[] = { 0x10, 0x84, 0x00, 0x00 };

/*
 * While the kernel owns the DOE Capability, the ioctl refuses CMA/SPDM
 * and Secured CMA with EACCES: no kernel user declared them safe for
 * userspace.  Discovery still works.
 */
TEST_F(nvme, cma_refused_while_kernel_owns)
{
	uint8_t rsp[64];
	uint32_t req = 0, drsp;
	int fd;

	fd = doe_dev_open(self->aux.name);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(doe_xchg(fd, PCI_SIG_VID, CMA_TYPE, get_version,
			   sizeof(get_version), rsp, sizeof(rsp)), -EACCES);
	EXPECT_EQ(doe_xchg(fd, PCI_SIG_VID, SECURED_CMA, get_version,
			   sizeof(get_version), rsp, sizeof(rsp)), -EACCES);
	EXPECT_EQ(doe_xchg(fd, PCI_SIG_VID, 0, &req, 4, &drsp, 4), 4);
	close(fd);
}

/*
 * The vector of @bdf that lists @admin: its message number, and whether
 * it also lists @doe (once); -1 if no vector lists @admin
 */
static long admin_vector(const char *bdf, const char *admin, const char *doe,
			 int *with_doe, int *doe_vectors, char *actions, size_t len)
{
	static struct doe_irq_line l[512];
	long hwirq = -1;
	int i, n;

	*with_doe = 0;
	*doe_vectors = 0;
	n = doe_proc_interrupts(l, 512);
	for (i = 0; i < n; i++) {
		if (!strstr(l[i].chip, bdf) || !strstr(l[i].chip, "PCI-MSI"))
			continue;
		*doe_vectors += doe_irq_has_action(&l[i], doe);
		if (!doe_irq_has_action(&l[i], admin))
			continue;
		hwirq = l[i].hwirq;
		*with_doe = doe_irq_has_action(&l[i], doe);
		snprintf(actions, len, "%s %s", l[i].chip, l[i].actions);
	}
	return hwirq;
}

/*
 * After an exchange (the DOE handler attaches lazily): the interrupt
 * attribute is "msix N" with N the DOE Interrupt Message Number, and the
 * vector of the admin queue's action lists the DOE's, which no other
 * vector lists; 5 Discovery exchanges raise the vector's count, and the
 * DOE handler claims an interrupt (pci_doe_irq).
 */
static void check_sharing(struct __test_metadata *_metadata,
			  const struct doe_aux *aux, const char *admin,
			  const char *when)
{
	struct doe_protocol p[DOE_MAX_PROTOCOLS];
	char path[PATH_MAX], mode[32], want[32], actions[700], prefix[64];
	int fd, i, with_doe, doe_vectors;
	long hwirq, before, after;
	uint32_t cap = 0;
	char *t;

	fd = doe_dev_open(aux->name);
	ASSERT_GE(fd, 0) TH_LOG("%s: open /dev/%s: %s", when, aux->name, strerror(errno));
	ASSERT_GE(doe_ioctl_discover(fd, p, DOE_MAX_PROTOCOLS), 1);

	i = doe_cfg_open(aux->bdf);
	ASSERT_GE(i, 0);
	ASSERT_EQ(doe_cfg_read(i, aux->offset + PCI_DOE_CAP, &cap), 0);
	close(i);
	ASSERT_NE(cap & PCI_DOE_CAP_INT_SUP, 0);
	snprintf(want, sizeof(want), "msix %u", (cap & PCI_DOE_CAP_INT_MSG_NUM) >> 1);
	snprintf(path, sizeof(path), DOE_AUX_DEVS "/%s/interrupt", aux->name);
	ASSERT_EQ(doe_sysfs_read(path, mode, sizeof(mode)), 0);
	EXPECT_STREQ(mode, want) TH_LOG("%s: %s", when, aux->name);

	hwirq = admin_vector(aux->bdf, admin, aux->name, &with_doe, &doe_vectors,
			     actions, sizeof(actions));
	TH_LOG("%s: message %ld: %s", when, hwirq, actions);
	ASSERT_GE(hwirq, 0) TH_LOG("%s: no vector lists %s", when, admin);
	EXPECT_EQ(hwirq, (cap & PCI_DOE_CAP_INT_MSG_NUM) >> 1);
	EXPECT_TRUE(with_doe) TH_LOG("%s: %s is not beside %s", when, aux->name, admin);
	EXPECT_EQ(doe_vectors, 1);

	snprintf(prefix, sizeof(prefix), "%s doe %#x ", aux->bdf, aux->offset);
	ASSERT_EQ(doe_trace_clear(), 0);
	ASSERT_EQ(doe_trace_write("events/pci_doe/pci_doe_irq/enable", "1"), 0);
	before = doe_irq_count(aux->name);
	for (i = 0; i < 5; i++)
		ASSERT_GE(doe_ioctl_discover(fd, p, DOE_MAX_PROTOCOLS), 1);
	after = doe_irq_wait_above(aux->name, before, 2000);
	for (i = 0; i < 100; i++) {
		t = doe_trace_read();
		ASSERT_NE(t, NULL);
		if (doe_trace_find(t, "pci_doe_irq", prefix, ""))
			break;
		free(t);
		t = NULL;
		usleep(10000);
	}
	ASSERT_EQ(doe_trace_write("events/pci_doe/pci_doe_irq/enable", "0"), 0);
	close(fd);
	TH_LOG("%s: %s interrupts %ld -> %ld after 5 Discovery exchanges", when,
	       aux->name, before, after);
	EXPECT_GT(after, before);
	EXPECT_NE(t, NULL) TH_LOG("%s: no pci_doe_irq event of %s", when, aux->name);
	free(t);
}

/* The DOE interrupt shares the admin queue's vector, and fires */
TEST_F(nvme, irq_beside_admin_queue)
{
	check_sharing(_metadata, &self->aux, self->admin, "at boot");
}

/* Bytes @from.. of the dwords @dw as "xx xx ..." */
static void hex(char *out, size_t len, const uint32_t *dw, int from, int n)
{
	const uint8_t *b = (const uint8_t *)dw;
	size_t used = 0;
	int i;

	out[0] = 0;
	for (i = from; i < n && used + 4 < len; i++)
		used += snprintf(out + used, len - used, "%s%02x", i > from ? " " : "", b[i]);
}

/*
 * The hand-off: unbind the generic driver, run SPDM GET_VERSION through
 * the config space file, and check the responder's VERSION (SPDM 0x04):
 * the lab's stub responder offers SPDM 1.0, 1.1 and 1.2.  Bind again: the
 * kernel aborts and rediscovers.  NVMe I/O goes on before, during and
 * after, without an error.
 */
TEST_F_TIMEOUT(nvme, handoff_spdm_get_version, 120)
{
	/* VERSION: 1.0, code 0x04, 2 reserved, 1 reserved, 3 entries */
	static const uint8_t version[] = { 0x10, 0x04, 0x00, 0x00, 0x00, 0x03,
					   0x00, 0x10, 0x00, 0x11, 0x00, 0x12 };
	struct doe_protocol p[DOE_MAX_PROTOCOLS];
	struct doe_cap caps[DOE_MAX_CAPS], *c = NULL;
	struct io io = { .dev = self->blk };
	uint32_t req[3], rsp[64];
	long r0, r1, r2, r3;
	char bytes[200], prefix[64], dev[PATH_MAX];
	int i, n, fd, cma = 0;
	char *t;

	ASSERT_EQ(pthread_create(&io.thread, NULL, io_fn, &io), 0);
	r0 = io_wait(&io, 0);
	EXPECT_GE(r0, IO_ROUNDS) TH_LOG("before: %ld NVMe I/O rounds", r0);

	ASSERT_EQ(doe_trace_clear(), 0);
	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "1"), 0);
	ASSERT_EQ(doe_aux_drv("unbind", self->aux.name), 0);
	EXPECT_FALSE(doe_aux_bound(self->aux.name));
	snprintf(dev, sizeof(dev), "/dev/%s", self->aux.name);
	EXPECT_NE(access(dev, F_OK), 0);
	r1 = io_rounds(&io);

	n = doe_cfg_find_caps(self->bdf, caps, DOE_MAX_CAPS);
	for (i = 0; i < n; i++)
		if (caps[i].offset == self->aux.offset)
			c = &caps[i];
	ASSERT_TRUE(!!c);
	fd = doe_cfg_open(self->bdf);
	ASSERT_GE(fd, 0);
	n = doe_cfg_discover(fd, c, p, DOE_MAX_PROTOCOLS);
	for (i = 0; i < n; i++)
		cma |= p[i].vid == PCI_SIG_VID && p[i].type == CMA_TYPE;
	EXPECT_TRUE(cma) TH_LOG("Discovery through config space: %d protocols", n);

	req[0] = PCI_SIG_VID | CMA_TYPE << 16;
	memcpy(&req[2], get_version, sizeof(get_version));
	memset(rsp, 0, sizeof(rsp));
	n = doe_cfg_exchange(fd, c, req, 3, rsp, 64);
	close(fd);
	ASSERT_GT(n, 2) TH_LOG("GET_VERSION through config space: %s", strerror(-n));
	hex(bytes, sizeof(bytes), rsp, 8, n * 4);
	TH_LOG("GET_VERSION: DOE %08x %08x | SPDM %s", rsp[0], rsp[1], bytes);
	EXPECT_EQ(rsp[0], req[0]);
	EXPECT_EQ(n, 2 + (int)sizeof(version) / 4);
	EXPECT_EQ(rsp[1] & PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH, (uint32_t)n);
	EXPECT_EQ(memcmp((uint8_t *)&rsp[2], version, sizeof(version)), 0);

	r2 = io_wait(&io, r1);
	EXPECT_GE(r2, r1 + IO_ROUNDS) TH_LOG("unbound: %ld NVMe I/O rounds", r2 - r1);

	ASSERT_EQ(doe_aux_drv("bind", self->aux.name), 0);
	ASSERT_EQ(doe_aux_wait_bound(self->bdf, self->aux.offset, self->aux.name,
				     sizeof(self->aux.name), 30000), 0);
	ASSERT_EQ(doe_trace_write("events/pci_doe/enable", "0"), 0);
	t = doe_trace_read();
	ASSERT_NE(t, NULL);
	snprintf(prefix, sizeof(prefix), "%s doe %#x ", self->bdf, self->aux.offset);
	EXPECT_NE(doe_trace_find(t, "pci_doe_abort", prefix, "ffff:ff bind"), NULL)
		TH_LOG("no Abort at bind");
	EXPECT_NE(doe_trace_find(t, "pci_doe_response", prefix, "0001:00 length_dw=3"),
		  NULL) TH_LOG("no Discovery at bind");
	free(t);
	check_features(_metadata, self->aux.name, nvme_features, 3);

	r3 = io_wait(&io, io_rounds(&io));
	io_stop(&io);
	TH_LOG("NVMe I/O rounds of %d KiB: %ld before the unbind, %ld unbound, %ld in all",
	       IO_BYTES / 1024, r1, r2 - r1, r3);
	EXPECT_EQ(io.errors, 0) TH_LOG("last I/O error %d", io.last_err);
	EXPECT_EQ(io.mismatches, 0);
	EXPECT_GE(r3, r2 + IO_ROUNDS);

	/* The kernel's again: the default-deny policy is back */
	fd = doe_dev_open(self->aux.name);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(doe_xchg(fd, PCI_SIG_VID, CMA_TYPE, get_version,
			   sizeof(get_version), rsp, sizeof(rsp)), -EACCES);
	close(fd);
	check_sharing(_metadata, &self->aux, self->admin, "after the hand-off");
}

/* Discovery through the ioctl in a thread */
struct xchg {
	const char *name;
	int stop;		/* atomic */
	long ok, failed;
	int last_err;
	pthread_t thread;
};

static void *xchg_fn(void *arg)
{
	struct doe_protocol p[DOE_MAX_PROTOCOLS];
	struct xchg *x = arg;
	int fd, n;

	fd = doe_dev_open(x->name);
	if (fd < 0) {
		x->failed++;
		x->last_err = -errno;
		return NULL;
	}
	while (!__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE)) {
		n = doe_ioctl_discover(fd, p, DOE_MAX_PROTOCOLS);
		if (n == 3) {
			x->ok++;
		} else {
			x->failed++;
			x->last_err = n;
		}
	}
	close(fd);
	return NULL;
}

/*
 * A controller reset (reset_controller) frees nvme's vectors and
 * allocates them again, twice: the PCI core detaches the DOE handler
 * before each free, and it joins the admin queue's handler again.
 * Exchanges through the ioctl and NVMe I/O go on throughout.
 */
TEST_F_TIMEOUT(nvme, controller_reset, 120)
{
	struct io io = { .dev = self->blk };
	struct xchg x = { .name = self->aux.name };
	char path[PATH_MAX];
	long r1, r2, ok;
	int rc;

	ASSERT_EQ(pthread_create(&io.thread, NULL, io_fn, &io), 0);
	ASSERT_EQ(pthread_create(&x.thread, NULL, xchg_fn, &x), 0);
	r1 = io_wait(&io, 0);
	ok = x.ok;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvme/%s/reset_controller",
		 self->bdf, self->ctrl);
	rc = doe_sysfs_write(path, "1");
	EXPECT_EQ(rc, 0) TH_LOG("%s: %s", path, strerror(-rc));
	r2 = io_wait(&io, io_rounds(&io));
	__atomic_store_n(&x.stop, 1, __ATOMIC_RELEASE);
	pthread_join(x.thread, NULL);
	io_stop(&io);
	TH_LOG("NVMe I/O rounds: %ld before the reset, %ld in all", r1, r2);
	TH_LOG("Discoveries through the ioctl: %ld before the reset, %ld in all",
	       ok, x.ok);
	TH_LOG("%ld failed (last %d)", x.failed, x.last_err);
	EXPECT_EQ(x.failed, 0);
	EXPECT_GT(x.ok, ok);
	EXPECT_EQ(io.errors, 0) TH_LOG("last I/O error %d", io.last_err);
	EXPECT_EQ(io.mismatches, 0);
	EXPECT_GE(r2, r1 + IO_ROUNDS);
	check_sharing(_metadata, &self->aux, self->admin, "after a controller reset");
}

TEST_HARNESS_MAIN
