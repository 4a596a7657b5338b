// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for PCI Data Object Exchange (DOE), PCIe r6.2 sec 6.30
 *
 * The code under test is the code that ships: drivers/pci/doe.c, its
 * devm_pci_doe_create_devices() called from a PCI driver's probe and its
 * generic auxiliary driver.  It runs against DOE Capabilities emulated in
 * software behind a fake PCI host bridge: struct pci_ops that serve a
 * 4 KiB config space with a PCI Express Capability and one or two DOE
 * Capabilities, on a real root bus with a real pci_dev.
 *
 * The responder serves Discovery (versions 1 and 2), an echo protocol and
 * a large-object protocol (up to 2^18 dwords), answers after a
 * configurable delay, can inject every fault a device can commit, and
 * raises a real Linux IRQ, which a test-only hook in doe.c hands to the
 * DOE Capability in place of an MSI vector.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/pci-doe.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "doe.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FAKE_VENDOR		0x1234
#define FAKE_DEVICE		0xd0e0
#define TEST_VID		0x1234	/* Vendor ID of the test protocols */
#define PROT_ECHO		0x01	/* response payload = request payload */
#define PROT_LARGE		0x02	/* request: N; response: N pattern dwords */
#define PROT_UNLISTED		0x03	/* answered, but not listed by Discovery */
#define PROT_ECHO2		0x04	/* echo, listed by the second DOE only */
#define DOE_CAP0		0x100
#define DOE_CAP1		0x200
#define MAX_DW			BIT(18)
#define NR_FAKE_DOE		2

enum fault {
	F_NONE,
	F_BUSY_STUCK,		/* DOE Busy never clears */
	F_BUSY_MS,		/* DOE Busy for fault_ms after arming */
	F_ERROR_BEFORE_GO,	/* DOE Error set before the request */
	F_ERROR_NOT_READY,	/* DOE Error instead of Data Object Ready */
	F_ERROR_AFTER_LAST,	/* DOE Error after the last dword */
	F_NO_READY,		/* Data Object Ready never set */
	F_READY_DROP,		/* Data Object Ready drops mid-response */
	F_SHORT,		/* one dword less than the Length */
	F_LONG,			/* one dword more than the Length */
	F_WRONG_VID,
	F_WRONG_TYPE,
	F_LENGTH_ONE,		/* response Length 1 */
	F_ABORT_STUCK,		/* Abort sets Busy for good */
	F_ALL_ONES,		/* every config read returns all-ones */
	/*
	 * As F_SHORT and F_READY_DROP, on a device that ignores an ack
	 * with Data Object Ready clear instead of setting Error as QEMU
	 * does: only the Ready check before the last ack can tell.
	 */
	F_SHORT_QUIET,
	F_READY_DROP_QUIET,
};

struct fake;

/* One emulated DOE Capability */
struct resp {
	struct fake *fake;
	u16 off;
	u8 version;
	u8 prot2;		/* second test protocol Discovery lists */
	int irq;		/* Linux IRQ raised, 0 if none */

	raw_spinlock_t lock;	/* all fields below */
	bool int_en, int_status, error, ready, abort_stuck;
	unsigned long busy_until;
	u32 *wbuf, *rbuf;
	size_t widx, ridx, rlen, rvalid, ready_drop_at;
	enum fault fault;
	unsigned int fault_ms;
	unsigned int delay_us;
	u8 last_disc_ver;
	struct hrtimer ready_timer;

	/* counters, read by the tests */
	unsigned int status_reads, gos, aborts, raised, in_flight, max_in_flight;
};

struct fake {
	struct kunit *test;
	u8 cfg[PCI_CFG_SPACE_EXP_SIZE];
	struct resp resp[NR_FAKE_DOE];
	int nr_doe;
	bool use_irq;
	bool all_ones;
	struct pci_sysdata sysdata;
	struct pci_bus *bus;
	struct pci_dev *pdev;
	int removed;
};

static atomic_t fake_domain = ATOMIC_INIT(0x10000);
/* Exchanges in flight across all responders, and the most at once */
static atomic_t global_in_flight;
static atomic_t global_max_in_flight;

static void in_flight_start(struct resp *r)
{
	int n, max;

	if (r->in_flight)
		return;
	r->in_flight = 1;
	n = atomic_inc_return(&global_in_flight);
	max = atomic_read(&global_max_in_flight);
	while (n > max && !atomic_try_cmpxchg(&global_max_in_flight, &max, n))
		;
}

static void in_flight_end(struct resp *r)
{
	if (!r->in_flight)
		return;
	r->in_flight = 0;
	atomic_dec(&global_in_flight);
}

static struct fake *bus_to_fake(struct pci_bus *bus)
{
	return container_of((struct pci_sysdata *)bus->sysdata, struct fake,
			    sysdata);
}

static void resp_reset(struct resp *r)
{
	r->ready = false;
	r->error = false;
	r->widx = 0;
	r->ridx = 0;
	r->rlen = 0;
	r->rvalid = 0;
	in_flight_end(r);
}

/* Set Data Object Ready; returns true if the IRQ must be raised */
static bool resp_set_ready(struct resp *r)
{
	r->ready = true;
	if (r->int_en && !r->int_status && r->irq) {
		r->int_status = true;
		return true;
	}
	return false;
}

static void resp_raise(struct resp *r)
{
	r->raised++;
	generic_handle_irq_safe(r->irq);
}

/* A delayed response becomes ready, in hard interrupt context */
static enum hrtimer_restart resp_ready_timer(struct hrtimer *t)
{
	struct resp *r = container_of(t, struct resp, ready_timer);
	unsigned long flags;
	bool raise = false;

	raw_spin_lock_irqsave(&r->lock, flags);
	if (r->rlen && !r->ready && !r->error)
		raise = resp_set_ready(r);
	raw_spin_unlock_irqrestore(&r->lock, flags);
	if (raise)
		resp_raise(r);
	return HRTIMER_NORESTART;
}

static u32 pattern(size_t i)
{
	return (u32)i * 0x9e3779b9u ^ 0x5a5a0000u;
}

/* Answer the request in wbuf; called with r->lock held */
static bool resp_go(struct resp *r)
{
	u32 hdr1, len, vid, type;
	size_t plen = 0, i;

	r->gos++;
	if (r->error || r->widx < 2)
		goto drop;
	hdr1 = r->wbuf[0];
	len = r->wbuf[1] & PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH;
	if (!len)
		len = MAX_DW;
	if (len != r->widx)
		goto drop;
	vid = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_VID, hdr1);
	type = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_1_TYPE, hdr1);

	if (vid == PCI_VENDOR_ID_PCI_SIG && type == PCI_DOE_PROTOCOL_DISCOVERY) {
		u8 prots[][2] = { { 0, 0 }, { 1, PROT_ECHO },
				  { 1, PROT_LARGE }, { 1, r->prot2 } };
		unsigned int n = r->prot2 ? 4 : 3, index;

		if (len < 3)
			goto drop;
		index = r->wbuf[2] & 0xff;
		r->last_disc_ver = (r->wbuf[2] >> 8) & 0xff;
		if (index >= n)
			goto drop;
		r->rbuf[2] = (prots[index][0] ? TEST_VID : PCI_VENDOR_ID_PCI_SIG) |
			     prots[index][1] << 16 |
			     (index + 1 < n ? index + 1 : 0) << 24;
		plen = 1;
	} else if (vid == TEST_VID && (type == PROT_ECHO || type == PROT_ECHO2 ||
					type == PROT_UNLISTED)) {
		plen = len - 2;
		memcpy(&r->rbuf[2], &r->wbuf[2], plen * 4);
	} else if (vid == TEST_VID && type == PROT_LARGE) {
		if (len < 3)
			goto drop;
		plen = min_t(size_t, r->wbuf[2], MAX_DW - 2);
		for (i = 0; i < plen; i++)
			r->rbuf[2 + i] = pattern(i);
	} else {
		goto drop;
	}

	r->rlen = plen + 2;
	r->rbuf[0] = hdr1;
	if (r->fault == F_WRONG_VID)
		r->rbuf[0] ^= 0x0001;
	if (r->fault == F_WRONG_TYPE)
		r->rbuf[0] ^= 0x00010000;
	r->rbuf[1] = r->rlen == MAX_DW ? 0 : r->rlen;
	if (r->fault == F_LENGTH_ONE)
		r->rbuf[1] = 1;
	r->rvalid = r->rlen;
	if (r->fault == F_SHORT || r->fault == F_SHORT_QUIET)
		r->rvalid = r->rlen - 1;
	if (r->fault == F_LONG) {
		r->rbuf[r->rlen] = 0xdeadbeef;
		r->rlen++;
		r->rvalid = r->rlen;
	}
	r->ready_drop_at = r->fault == F_READY_DROP || r->fault == F_READY_DROP_QUIET ?
			   r->rlen / 2 : SIZE_MAX;
	r->widx = 0;
	r->ridx = 0;
	in_flight_start(r);

	if (r->fault == F_NO_READY)
		return false;
	if (r->fault == F_ERROR_NOT_READY) {
		r->error = true;
		if (r->int_en && !r->int_status && r->irq) {
			r->int_status = true;
			return true;
		}
		return false;
	}
	if (r->delay_us) {
		hrtimer_start(&r->ready_timer,
			      ns_to_ktime((u64)r->delay_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_HARD);
		return false;
	}
	return resp_set_ready(r);
drop:
	/* Like QEMU: a request the responder cannot serve is dropped */
	r->widx = 0;
	return false;
}

static bool resp_busy(struct resp *r)
{
	return r->abort_stuck || r->fault == F_BUSY_STUCK ||
	       (r->fault == F_BUSY_MS && time_before(jiffies, r->busy_until));
}

static u32 resp_read(struct resp *r, int reg)
{
	u32 val = 0;

	switch (reg) {
	case PCI_DOE_CTRL:
		val = r->int_en ? PCI_DOE_CTRL_INT_EN : 0;
		break;
	case PCI_DOE_STATUS:
		r->status_reads++;
		val = (resp_busy(r) ? PCI_DOE_STATUS_BUSY : 0) |
		      (r->int_status ? PCI_DOE_STATUS_INT_STATUS : 0) |
		      (r->error ? PCI_DOE_STATUS_ERROR : 0) |
		      (r->ready ? PCI_DOE_STATUS_DATA_OBJECT_READY : 0);
		break;
	case PCI_DOE_READ:
		if (r->ready && !r->error && r->ridx < r->rvalid)
			val = r->rbuf[r->ridx];
		break;
	}
	return val;
}

static bool resp_write(struct resp *r, int reg, u32 val)
{
	switch (reg) {
	case PCI_DOE_CTRL:
		r->int_en = val & PCI_DOE_CTRL_INT_EN;
		if (val & PCI_DOE_CTRL_ABORT) {
			r->aborts++;
			if (r->fault == F_ABORT_STUCK)
				r->abort_stuck = true;
			resp_reset(r);
			return false;
		}
		if (val & PCI_DOE_CTRL_GO)
			return resp_go(r);
		break;
	case PCI_DOE_STATUS:
		if (val & PCI_DOE_STATUS_INT_STATUS)
			r->int_status = false;
		break;
	case PCI_DOE_WRITE:
		if (r->widx < MAX_DW)
			r->wbuf[r->widx++] = val;
		break;
	case PCI_DOE_READ:
		if (!r->ready || r->error) {
			/* an ack with nothing pending */
			if (r->fault != F_SHORT_QUIET && r->fault != F_READY_DROP_QUIET)
				r->error = true;
			break;
		}
		r->ridx++;
		if (r->ridx >= r->rvalid || r->ridx >= r->ready_drop_at) {
			r->ready = false;
			if (r->ridx >= r->rvalid)
				in_flight_end(r);
			if (r->fault == F_ERROR_AFTER_LAST && r->ridx >= r->rvalid)
				r->error = true;
		}
		break;
	}
	return false;
}

static struct resp *fake_resp(struct fake *f, int where)
{
	int i;

	for (i = 0; i < f->nr_doe; i++)
		if (where >= f->resp[i].off + PCI_DOE_CTRL &&
		    where < f->resp[i].off + PCI_DOE_CAP_SIZEOF)
			return &f->resp[i];
	return NULL;
}

static int fake_read(struct pci_bus *bus, unsigned int devfn, int where,
		     int size, u32 *val)
{
	struct fake *f = bus_to_fake(bus);
	unsigned long flags;
	struct resp *r;

	if (devfn != 0 || READ_ONCE(f->removed)) {
		*val = (u32)PCI_ERROR_RESPONSE;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	if (READ_ONCE(f->all_ones)) {
		*val = (u32)PCI_ERROR_RESPONSE;
		return PCIBIOS_SUCCESSFUL;
	}
	r = fake_resp(f, where);
	if (r) {
		/* The DOE registers take dword accesses only */
		raw_spin_lock_irqsave(&r->lock, flags);
		*val = size == 4 ? resp_read(r, where - r->off) : 0;
		raw_spin_unlock_irqrestore(&r->lock, flags);
		return PCIBIOS_SUCCESSFUL;
	}
	*val = 0;
	memcpy(val, &f->cfg[where], size);
	*val = le32_to_cpu((__force __le32)*val);
	return PCIBIOS_SUCCESSFUL;
}

static int fake_write(struct pci_bus *bus, unsigned int devfn, int where,
		      int size, u32 val)
{
	struct fake *f = bus_to_fake(bus);
	unsigned long flags;
	struct resp *r;
	bool raise;
	__le32 le;

	if (devfn != 0 || READ_ONCE(f->removed))
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (READ_ONCE(f->all_ones))
		return PCIBIOS_SUCCESSFUL;
	r = fake_resp(f, where);
	if (r) {
		if (size != 4)
			return PCIBIOS_SUCCESSFUL;
		raw_spin_lock_irqsave(&r->lock, flags);
		raise = resp_write(r, where - r->off, val);
		raw_spin_unlock_irqrestore(&r->lock, flags);
		if (raise)
			resp_raise(r);
		return PCIBIOS_SUCCESSFUL;
	}
	/* The headers and the PCIe Capability are read-only here */
	if (where >= PCI_COMMAND && where < PCI_COMMAND + 2) {
		le = cpu_to_le32(val);
		memcpy(&f->cfg[where], &le, size);
	}
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops fake_ops = {
	.read = fake_read,
	.write = fake_write,
};

static void put16(struct fake *f, int off, u16 v)
{
	f->cfg[off] = v;
	f->cfg[off + 1] = v >> 8;
}

static void put32(struct fake *f, int off, u32 v)
{
	put16(f, off, v);
	put16(f, off + 2, v >> 16);
}

/* Config space: header, PCIe Capability at 0x40, DOE at 0x100 (and 0x200) */
static void fake_build_cfg(struct fake *f, u8 version)
{
	int i;

	put16(f, PCI_VENDOR_ID, FAKE_VENDOR);
	put16(f, PCI_DEVICE_ID, FAKE_DEVICE);
	put16(f, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(f, PCI_CLASS_REVISION, PCI_CLASS_OTHERS << 16);
	f->cfg[PCI_CAPABILITY_LIST] = 0x40;
	f->cfg[0x40] = PCI_CAP_ID_EXP;
	f->cfg[0x41] = 0;
	put16(f, 0x40 + PCI_EXP_FLAGS, 2 | PCI_EXP_TYPE_ENDPOINT << 4);

	for (i = 0; i < f->nr_doe; i++) {
		struct resp *r = &f->resp[i];
		u16 next = i + 1 < f->nr_doe ? f->resp[i + 1].off : 0;

		put32(f, r->off, PCI_EXT_CAP_ID_DOE | version << 16 | next << 20);
		/* Interrupt Support, Interrupt Message Number i */
		put32(f, r->off + PCI_DOE_CAP, PCI_DOE_CAP_INT_SUP | i << 1);
	}
}

static struct fake *fake_of_pdev(struct pci_dev *pdev)
{
	if (pdev->bus->ops != &fake_ops)
		return NULL;
	return bus_to_fake(pdev->bus);
}

/* The test-only hook of doe.c: the responder's IRQ for a DOE Capability */
static int fake_irq_hook(struct pci_dev *pdev, u16 doe_cap)
{
	struct fake *f = fake_of_pdev(pdev);
	int i;

	if (!f || !f->use_irq)
		return 0;
	for (i = 0; i < f->nr_doe; i++)
		if (f->resp[i].off == doe_cap)
			return f->resp[i].irq;
	return 0;
}

static void fake_destroy(void *data)
{
	struct fake *f = data;
	int i;

	if (f->bus) {
		WRITE_ONCE(f->all_ones, false);
		pci_lock_rescan_remove();
		pci_stop_root_bus(f->bus);
		pci_remove_root_bus(f->bus);
		pci_unlock_rescan_remove();
	}
	for (i = 0; i < f->nr_doe; i++) {
		struct resp *r = &f->resp[i];

		hrtimer_cancel(&r->ready_timer);
		if (r->irq)
			irq_free_desc(r->irq);
		vfree(r->wbuf);
		vfree(r->rbuf);
	}
	kfree(f);
}

static int fake_alloc_irq(void)
{
	int irq = irq_alloc_desc(NUMA_NO_NODE);

	if (irq < 0)
		return irq;
	irq_set_chip_and_handler(irq, &dummy_irq_chip, handle_simple_irq);
	irq_modify_status(irq, IRQ_NOREQUEST | IRQ_NOAUTOEN, IRQ_NOPROBE);
	return irq;
}

/*
 * Create the fake host bridge and its device; the test PCI driver binds
 * and creates the DOE devices.  Returns with the generic driver's
 * Discovery finished on every DOE Capability.
 */
static struct fake *fake_create(struct kunit *test, int nr_doe, bool use_irq,
				u8 version)
{
	struct resource busn = DEFINE_RES_NAMED(0, 0xff, "doe-kunit bus",
						IORESOURCE_BUS);
	struct device *parent;
	LIST_HEAD(resources);
	struct pci_doe_dev *doe;
	struct fake *f;
	int domain, i;
	char *name;

	/*
	 * The host device first, so that it goes after fake_destroy()
	 * removed the bus (KUnit cleans up in reverse order).  A test may
	 * create several: one name per PCI domain, which outlives the
	 * device's driver.
	 */
	domain = atomic_inc_return(&fake_domain);
	name = kunit_kzalloc(test, 32, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, name);
	snprintf(name, 32, "doe-kunit-host-%x", domain);
	parent = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, parent);

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->test = test;
	f->nr_doe = nr_doe;
	f->use_irq = use_irq;
	for (i = 0; i < nr_doe; i++) {
		struct resp *r = &f->resp[i];

		r->fake = f;
		r->off = i ? DOE_CAP1 : DOE_CAP0;
		r->prot2 = i ? PROT_ECHO2 : 0;
		raw_spin_lock_init(&r->lock);
		hrtimer_init(&r->ready_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		r->ready_timer.function = resp_ready_timer;
		r->wbuf = vzalloc(MAX_DW * sizeof(u32));
		r->rbuf = vzalloc((MAX_DW + 1) * sizeof(u32));
		if (use_irq)
			r->irq = fake_alloc_irq();
	}
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fake_destroy, f));
	for (i = 0; i < nr_doe; i++) {
		KUNIT_ASSERT_NOT_NULL(test, f->resp[i].wbuf);
		KUNIT_ASSERT_NOT_NULL(test, f->resp[i].rbuf);
		KUNIT_ASSERT_GE(test, f->resp[i].irq, 0);
	}
	fake_build_cfg(f, version);

	f->sysdata.domain = domain;
	f->sysdata.node = NUMA_NO_NODE;
	pci_add_resource(&resources, &busn);

	pci_lock_rescan_remove();
	f->bus = pci_create_root_bus(parent, 0, &fake_ops, &f->sysdata,
				     &resources);
	if (f->bus) {
		pci_scan_child_bus(f->bus);
		pci_bus_add_devices(f->bus);
	}
	pci_unlock_rescan_remove();
	if (!f->bus)
		pci_free_resource_list(&resources);
	KUNIT_ASSERT_NOT_NULL(test, f->bus);

	f->pdev = pci_get_slot(f->bus, 0);
	KUNIT_ASSERT_NOT_NULL(test, f->pdev);
	pci_dev_put(f->pdev);	/* the bus holds it until fake_destroy() */

	/* pci_doe_find() waits for the asynchronous Discovery */
	doe = pci_doe_find(f->pdev, TEST_VID, PROT_ECHO);
	KUNIT_ASSERT_NOT_NULL(test, doe);
	pci_doe_put(doe);
	return f;
}

KUNIT_DEFINE_ACTION_WRAPPER(pci_doe_put_action, pci_doe_put, struct pci_doe_dev *);
KUNIT_DEFINE_ACTION_WRAPPER(put_device_action, put_device, struct device *);

static struct pci_doe_dev *find_doe(struct kunit *test, struct fake *f, u8 type)
{
	struct pci_doe_dev *doe = pci_doe_find(f->pdev, TEST_VID, type);

	KUNIT_ASSERT_NOT_NULL(test, doe);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, pci_doe_put_action, doe));
	return doe;
}

static void set_fault(struct resp *r, enum fault what, unsigned int ms)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&r->lock, flags);
	r->fault = what;
	r->fault_ms = ms;
	r->busy_until = jiffies + msecs_to_jiffies(ms);
	if (what == F_ERROR_BEFORE_GO)
		r->error = true;
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

static void clear_fault(struct resp *r)
{
	set_fault(r, F_NONE, 0);
}

/* An echo exchange of @n dwords; asserts the data */
static void echo_ok(struct kunit *test, struct pci_doe_dev *doe, size_t n)
{
	__le32 *req, *rsp;
	size_t i;
	int rc;

	req = kunit_kcalloc(test, n + 1, sizeof(*req), GFP_KERNEL);
	rsp = kunit_kcalloc(test, n + 1, sizeof(*rsp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_NOT_NULL(test, rsp);
	for (i = 0; i < n; i++)
		req[i] = cpu_to_le32(pattern(i) ^ 0x1111);
	rc = pci_doe(doe, TEST_VID, PROT_ECHO, req, n * 4, rsp, n * 4);
	KUNIT_EXPECT_EQ(test, rc, (int)(n * 4));
	KUNIT_EXPECT_MEMEQ(test, req, rsp, n * 4);
}

static int echo_rc(struct pci_doe_dev *doe)
{
	__le32 req[2] = { cpu_to_le32(1), cpu_to_le32(2) }, rsp[2];

	return pci_doe(doe, TEST_VID, PROT_ECHO, req, sizeof(req), rsp, sizeof(rsp));
}

/* Basic behaviour */

static void discovery_lists_protocols(struct kunit *test, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);

	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, PCI_VENDOR_ID_PCI_SIG,
						      PCI_DOE_PROTOCOL_DISCOVERY));
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO));
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_LARGE));
	KUNIT_EXPECT_FALSE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_UNLISTED));
	/* Probe aborted once, then ran Discovery over 3 indices */
	KUNIT_EXPECT_EQ(test, f->resp[0].aborts, 1);
	KUNIT_EXPECT_EQ(test, f->resp[0].gos, 3);
	KUNIT_EXPECT_EQ(test, f->resp[0].last_disc_ver, 0);
}

static void discovery_poll(struct kunit *test) { discovery_lists_protocols(test, false); }
static void discovery_irq(struct kunit *test) { discovery_lists_protocols(test, true); }

/* PCIe r6.1 sec 6.30.1.1: Discovery version 2 for Capability Version 2 */
static void discovery_version_2(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 2);

	KUNIT_EXPECT_EQ(test, f->resp[0].last_disc_ver, 2);
}

static void echo_roundtrip(struct kunit *test, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);

	echo_ok(test, doe, 16);
	if (irq)
		KUNIT_EXPECT_GT(test, f->resp[0].raised, 0);
}

static void echo_poll(struct kunit *test) { echo_roundtrip(test, false); }
static void echo_irq(struct kunit *test) { echo_roundtrip(test, true); }

/* Payloads of 0, 1, 3, 4 and 5 dwords round-trip exactly */
static void payload_dword_sizes(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	size_t sizes[] = { 0, 1, 3, 4, 5 };
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		echo_ok(test, doe, sizes[i]);
}

/*
 * Byte sizes that are not multiples of 4: the last dword is padded with
 * zeroes on the wire and only the requested bytes come back.
 */
static void payload_byte_sizes(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	u8 req[11], rsp[12];
	size_t sz;
	int rc;

	for (sz = 1; sz <= sizeof(req); sz++) {
		memset(rsp, 0xee, sizeof(rsp));
		get_random_bytes(req, sizeof(req));
		rc = pci_doe(doe, TEST_VID, PROT_ECHO, req, sz, rsp, sz);
		KUNIT_EXPECT_EQ(test, rc, (int)sz);
		KUNIT_EXPECT_MEMEQ(test, req, rsp, sz);
		KUNIT_EXPECT_EQ(test, rsp[sz], 0xee);	/* nothing written past */
		/* The bytes padding the last dword on the wire are zero */
		if (sz % 4)
			KUNIT_EXPECT_EQ(test, f->resp[0].rbuf[2 + sz / 4] >> (8 * (sz % 4)), 0);
	}
}

/* 2^18 - 2 payload dwords: Length 0 on the wire, both ways */
static void max_object_length_zero(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	size_t n = MAX_DW - 2, i;
	__le32 *req, *rsp;
	int rc;

	req = vmalloc(n * 4);
	rsp = vmalloc(n * 4);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_NOT_NULL(test, rsp);
	for (i = 0; i < n; i++)
		req[i] = cpu_to_le32(pattern(i));
	rc = pci_doe(doe, TEST_VID, PROT_ECHO, req, n * 4, rsp, n * 4);
	KUNIT_EXPECT_EQ(test, rc, (int)(n * 4));
	KUNIT_EXPECT_EQ(test, f->resp[0].wbuf[1], 0);	/* request Length 0 */
	KUNIT_EXPECT_EQ(test, f->resp[0].rbuf[1], 0);	/* response Length 0 */
	KUNIT_EXPECT_EQ(test, memcmp(req, rsp, n * 4), 0);
	vfree(req);
	vfree(rsp);
}

/* The large-object protocol returns up to 2^18 - 2 dwords */
static void large_response(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_LARGE);
	__le32 req, *rsp;
	size_t n = 5000, i;
	int rc;

	rsp = kunit_kcalloc(test, n, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rsp);
	req = cpu_to_le32(n);
	rc = pci_doe(doe, TEST_VID, PROT_LARGE, &req, 4, rsp, n * 4);
	KUNIT_EXPECT_EQ(test, rc, (int)(n * 4));
	for (i = 0; i < n; i++)
		if (le32_to_cpu(rsp[i]) != pattern(i))
			break;
	KUNIT_EXPECT_EQ(test, i, n);
}

/* More than 2^18 dwords: -E2BIG before the hardware is touched */
static void oversize_request(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	unsigned int gos = f->resp[0].gos;
	size_t sz = (MAX_DW - 1) * 4;
	void *req = vzalloc(sz);
	__le32 rsp;

	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_ECHO, req, sz, &rsp, 4),
			-E2BIG);
	/* one byte over 2^18 - 2 dwords, too */
	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_ECHO, req,
				      (MAX_DW - 2) * 4 + 1, &rsp, 4), -E2BIG);
	KUNIT_EXPECT_EQ(test, f->resp[0].gos, gos);
	vfree(req);
	echo_ok(test, doe, 2);
}

/* A response longer than the buffer is read whole and truncated */
static void response_truncated(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	__le32 req[8], rsp[8];
	int i, rc;

	for (i = 0; i < 8; i++)
		req[i] = cpu_to_le32(i + 100);
	memset(rsp, 0, sizeof(rsp));
	rc = pci_doe(doe, TEST_VID, PROT_ECHO, req, sizeof(req), rsp, 10);
	KUNIT_EXPECT_EQ(test, rc, 10);
	KUNIT_EXPECT_MEMEQ(test, req, rsp, 10);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(rsp[3]), 0);
	KUNIT_EXPECT_FALSE(test, f->resp[0].ready);	/* drained */
	echo_ok(test, doe, 3);
}

static void unlisted_protocol(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	unsigned int gos = f->resp[0].gos;
	__le32 req = 0, rsp;

	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_UNLISTED, &req, 4, &rsp, 4),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, f->resp[0].gos, gos);
}

static void bad_task(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct pci_doe_task task = { .vid = TEST_VID, .type = PROT_ECHO };
	__le32 rsp;

	KUNIT_EXPECT_EQ(test, pci_doe_submit_task(doe, &task), -EINVAL);
	KUNIT_EXPECT_EQ(test, pci_doe(doe, TEST_VID, PROT_ECHO, NULL, 4, &rsp, 4),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pci_doe_submit_task(NULL, &task), -EINVAL);
}

/* The fault matrix: each fault, its errno, the state after, recovery */

struct fault_case {
	enum fault fault;
	unsigned int ms;
	int rc;
	bool aborts;		/* the fault must end in an Abort */
};

static void run_fault(struct kunit *test, const struct fault_case *fc, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int aborts = r->aborts;

	set_fault(r, fc->fault, fc->ms);
	if (fc->rc)
		KUNIT_EXPECT_EQ(test, echo_rc(doe), fc->rc);
	else
		echo_ok(test, doe, 2);
	if (fc->aborts)
		KUNIT_EXPECT_GT(test, r->aborts, aborts);
	/* The mailbox is idle afterwards: no Error, no Ready, no Busy */
	KUNIT_EXPECT_FALSE(test, r->error);
	KUNIT_EXPECT_FALSE(test, r->ready);

	clear_fault(r);
	echo_ok(test, doe, 4);
}

#define FAULT_CASE(name, f, ms, rc, ab)					\
static const struct fault_case fc_##name = { f, ms, rc, ab };		\
static void name##_poll(struct kunit *test) { run_fault(test, &fc_##name, false); } \
static void name##_irq(struct kunit *test) { run_fault(test, &fc_##name, true); }

FAULT_CASE(busy_stuck, F_BUSY_STUCK, 0, -EBUSY, false)
FAULT_CASE(busy_50ms, F_BUSY_MS, 50, 0, false)
FAULT_CASE(error_before_go, F_ERROR_BEFORE_GO, 0, -EIO, true)
FAULT_CASE(error_not_ready, F_ERROR_NOT_READY, 0, -EIO, true)
FAULT_CASE(error_after_last, F_ERROR_AFTER_LAST, 0, -EIO, true)
FAULT_CASE(no_ready, F_NO_READY, 0, -ETIMEDOUT, true)
FAULT_CASE(ready_drop, F_READY_DROP, 0, -EIO, true)
FAULT_CASE(short_response, F_SHORT, 0, -EIO, true)
FAULT_CASE(short_response_quiet, F_SHORT_QUIET, 0, -EIO, true)
FAULT_CASE(ready_drop_quiet, F_READY_DROP_QUIET, 0, -EIO, true)
FAULT_CASE(long_response, F_LONG, 0, -EIO, true)
FAULT_CASE(wrong_vid, F_WRONG_VID, 0, -EIO, true)
FAULT_CASE(wrong_type, F_WRONG_TYPE, 0, -EIO, true)
FAULT_CASE(length_one, F_LENGTH_ONE, 0, -EIO, true)

/* An Abort that never completes kills the DOE Capability: fail fast */
static void abort_stuck(struct kunit *test, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int gos;

	/* Error before Go forces the Abort, which then hangs in Busy */
	set_fault(r, F_ABORT_STUCK, 0);
	raw_spin_lock_irq(&r->lock);
	r->error = true;
	raw_spin_unlock_irq(&r->lock);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -EIO);
	KUNIT_EXPECT_TRUE(test, r->abort_stuck);

	clear_fault(r);
	gos = r->gos;
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -EIO);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -EIO);
	KUNIT_EXPECT_EQ(test, r->gos, gos);	/* dead: hardware untouched */
}

static void abort_stuck_poll(struct kunit *test) { abort_stuck(test, false); }
static void abort_stuck_irq(struct kunit *test) { abort_stuck(test, true); }

/* All-ones reads (surprise removal): -ENODEV without the timeouts */
static void all_ones(struct kunit *test, bool irq)
{
	struct fake *f = fake_create(test, 1, irq, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	unsigned int gos = r->gos;

	WRITE_ONCE(f->all_ones, true);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
	KUNIT_EXPECT_EQ(test, r->gos, gos);
	WRITE_ONCE(f->all_ones, false);
	echo_ok(test, doe, 1);
}

static void all_ones_poll(struct kunit *test) { all_ones(test, false); }
static void all_ones_irq(struct kunit *test) { all_ones(test, true); }

/* A shared vector firing for someone else is not claimed */
static void spurious_irq(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct resp *r = &f->resp[0];
	int events = pci_doe_kunit_irq_events(doe), i;

	for (i = 0; i < 10; i++)
		generic_handle_irq_safe(r->irq);
	KUNIT_EXPECT_EQ(test, pci_doe_kunit_irq_events(doe), events);
	echo_ok(test, doe, 3);
	KUNIT_EXPECT_GT(test, pci_doe_kunit_irq_events(doe), events);
}

/*
 * With a 20 ms response delay the interrupt, not a poll, wakes the
 * exchange: in interrupt mode DOE Status is read a fixed number of times
 * (Busy check, Ready check, once after the wakeup, before the last ack,
 * after it), while polling reads it many times over 20 ms.
 */
static void irq_wakes_exchange(struct kunit *test)
{
	struct fake *fi = fake_create(test, 1, true, 1);
	struct fake *fp = fake_create(test, 1, false, 1);
	struct pci_doe_dev *di = find_doe(test, fi, PROT_ECHO);
	struct pci_doe_dev *dp = find_doe(test, fp, PROT_ECHO);
	unsigned int si, sp;
	int events;
	ktime_t t0;
	s64 ti, tp;

	fi->resp[0].delay_us = 20000;
	fp->resp[0].delay_us = 20000;

	events = pci_doe_kunit_irq_events(di);
	si = fi->resp[0].status_reads;
	t0 = ktime_get();
	echo_ok(test, di, 2);
	ti = ktime_us_delta(ktime_get(), t0);
	si = fi->resp[0].status_reads - si;

	sp = fp->resp[0].status_reads;
	t0 = ktime_get();
	echo_ok(test, dp, 2);
	tp = ktime_us_delta(ktime_get(), t0);
	sp = fp->resp[0].status_reads - sp;

	KUNIT_EXPECT_GE(test, pci_doe_kunit_irq_events(di), events + 1);
	KUNIT_EXPECT_LE(test, si, 6);
	KUNIT_EXPECT_GT(test, sp, si);
	kunit_info(test, "doe-latency delay_ms=20 irq_us=%lld poll_us=%lld irq_status_reads=%u poll_status_reads=%u\n",
		   ti, tp, si, sp);
}

/*
 * For make bench: a responder that takes 2 ms, in interrupt mode and in
 * polling mode, in the same run.  The medians are reported, not asserted:
 * speed is measured by make bench, never gated by a test.
 */
#define SLOW_EXCHANGES	21
#define SLOW_DELAY_US	2000

static int cmp_s64(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return x < y ? -1 : x > y;
}

static s64 slow_median_us(struct kunit *test, struct pci_doe_dev *doe,
			  struct resp *r, unsigned int *status_reads)
{
	unsigned int reads = r->status_reads;
	s64 us[SLOW_EXCHANGES];
	ktime_t t0;
	int i;

	for (i = 0; i < SLOW_EXCHANGES; i++) {
		t0 = ktime_get();
		echo_ok(test, doe, 2);
		us[i] = ktime_us_delta(ktime_get(), t0);
	}
	*status_reads = (r->status_reads - reads) / SLOW_EXCHANGES;
	sort(us, SLOW_EXCHANGES, sizeof(us[0]), cmp_s64, NULL);
	return us[SLOW_EXCHANGES / 2];
}

static void slow_responder_2ms(struct kunit *test)
{
	struct fake *fi = fake_create(test, 1, true, 1);
	struct fake *fp = fake_create(test, 1, false, 1);
	struct pci_doe_dev *di = find_doe(test, fi, PROT_ECHO);
	struct pci_doe_dev *dp = find_doe(test, fp, PROT_ECHO);
	unsigned int irq_reads, poll_reads;
	s64 irq_us, poll_us;

	fi->resp[0].delay_us = SLOW_DELAY_US;
	fp->resp[0].delay_us = SLOW_DELAY_US;
	irq_us = slow_median_us(test, di, &fi->resp[0], &irq_reads);
	poll_us = slow_median_us(test, dp, &fp->resp[0], &poll_reads);
	kunit_info(test, "doe-bench slow_responder delay_us=%d exchanges=%d irq_median_us=%lld poll_median_us=%lld irq_status_reads=%u poll_status_reads=%u\n",
		   SLOW_DELAY_US, SLOW_EXCHANGES, irq_us, poll_us, irq_reads,
		   poll_reads);
}

/* Concurrency */

struct stress {
	struct pci_doe_dev *doe;
	spinlock_t lock;	/* submission order */
	unsigned int next_seq;
	atomic_t done_seq;	/* completions seen, in order */
	atomic_t bad;
	atomic_t completions;
	struct completion all_done;
	unsigned int total;
};

struct stress_task {
	struct pci_doe_task task;
	struct stress *s;
	unsigned int seq;
	atomic_t calls;
	__le32 req[2], rsp[2];
};

static void stress_complete(struct pci_doe_task *task)
{
	struct stress_task *st = container_of(task, struct stress_task, task);
	struct stress *s = st->s;

	if (atomic_inc_return(&st->calls) != 1 || task->rv != 8 ||
	    memcmp(st->req, st->rsp, 8))
		atomic_inc(&s->bad);
	/* In submission order: the n-th completion is the n-th submission */
	if (atomic_inc_return(&s->done_seq) != st->seq + 1)
		atomic_inc(&s->bad);
	if (atomic_inc_return(&s->completions) == s->total)
		complete(&s->all_done);
}

struct stress_thread {
	struct stress *s;
	struct stress_task *tasks;
	int id, n;
	struct completion done;
};

static int stress_fn(void *data)
{
	struct stress_thread *t = data;
	struct stress *s = t->s;
	int i, rc;

	for (i = 0; i < t->n; i++) {
		struct stress_task *st = &t->tasks[i];

		st->s = s;
		st->req[0] = cpu_to_le32(t->id);
		st->req[1] = cpu_to_le32(i);
		st->task = (struct pci_doe_task) {
			.vid = TEST_VID, .type = PROT_ECHO,
			.request_pl = st->req, .request_pl_sz = 8,
			.response_pl = st->rsp, .response_pl_sz = 8,
			.complete = stress_complete,
		};
		spin_lock(&s->lock);
		st->seq = s->next_seq++;
		rc = pci_doe_submit_task(s->doe, &st->task);
		spin_unlock(&s->lock);
		if (rc)
			atomic_inc(&s->bad);
		if (i % 16 == 15)
			cond_resched();
	}
	complete(&t->done);
	return 0;
}

/* 8 threads x 200 exchanges on one DOE Capability */
static void eight_threads(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct stress_thread th[8];
	struct stress s = {};
	int i;

	s.doe = find_doe(test, f, PROT_ECHO);
	spin_lock_init(&s.lock);
	init_completion(&s.all_done);
	s.total = 8 * 200;
	for (i = 0; i < 8; i++) {
		th[i] = (struct stress_thread) { .s = &s, .id = i, .n = 200 };
		th[i].tasks = kunit_kcalloc(test, 200, sizeof(*th[i].tasks), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, th[i].tasks);
		init_completion(&th[i].done);
	}
	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(stress_fn, &th[i], "doe-kunit-%d", i)));
	for (i = 0; i < 8; i++)
		wait_for_completion(&th[i].done);
	KUNIT_ASSERT_NE(test, 0UL,
			wait_for_completion_timeout(&s.all_done, 600 * HZ));
	KUNIT_EXPECT_EQ(test, atomic_read(&s.completions), 1600);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.bad), 0);
	for (i = 0; i < 8; i++) {
		int j;

		for (j = 0; j < 200; j++)
			KUNIT_EXPECT_EQ(test, atomic_read(&th[i].tasks[j].calls), 1);
	}
}

struct par {
	struct pci_doe_dev *doe;
	u8 type;
	int errors;
	struct completion done;
};

static int par_fn(void *data)
{
	struct par *p = data;
	__le32 req = cpu_to_le32(7), rsp;
	int i;

	for (i = 0; i < 10; i++)
		if (pci_doe(p->doe, TEST_VID, p->type, &req, 4, &rsp, 4) != 4)
			p->errors++;
	complete(&p->done);
	return 0;
}

/* Two DOE Capabilities exchange at the same time */
static void two_caps_parallel(struct kunit *test)
{
	struct fake *f = fake_create(test, 2, true, 1);
	struct par p[2] = {
		{ .doe = find_doe(test, f, PROT_ECHO), .type = PROT_ECHO },
		{ .doe = find_doe(test, f, PROT_ECHO2), .type = PROT_ECHO2 },
	};
	int i;

	KUNIT_ASSERT_PTR_NE(test, p[0].doe, p[1].doe);
	f->resp[0].delay_us = 20000;
	f->resp[1].delay_us = 20000;
	atomic_set(&global_max_in_flight, 0);
	for (i = 0; i < 2; i++) {
		init_completion(&p[i].done);
		KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(par_fn, &p[i], "doe-par-%d", i)));
	}
	for (i = 0; i < 2; i++)
		wait_for_completion(&p[i].done);
	KUNIT_EXPECT_EQ(test, p[0].errors, 0);
	KUNIT_EXPECT_EQ(test, p[1].errors, 0);
	/* Both responders had an exchange in flight at once */
	KUNIT_EXPECT_EQ(test, atomic_read(&global_max_in_flight), 2);
}

/* Lifetime */

struct lt {
	struct pci_doe_task task;
	atomic_t calls;
	__le32 req, rsp;
};

static atomic_t lt_done;

static void lt_complete(struct pci_doe_task *task)
{
	struct lt *l = container_of(task, struct lt, task);

	atomic_inc(&l->calls);
	atomic_inc(&lt_done);
}

static struct lt *queue_many(struct kunit *test, struct pci_doe_dev *doe,
			     struct resp *r, int n)
{
	struct lt *l = kunit_kcalloc(test, n, sizeof(*l), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	atomic_set(&lt_done, 0);
	for (i = 0; i < n; i++) {
		l[i].task = (struct pci_doe_task) {
			.vid = TEST_VID, .type = PROT_ECHO,
			.request_pl = &l[i].req, .request_pl_sz = 4,
			.response_pl = &l[i].rsp, .response_pl_sz = 4,
			.complete = lt_complete,
		};
		KUNIT_ASSERT_EQ(test, pci_doe_submit_task(doe, &l[i].task), 0);
	}
	/* Wait until the first is in flight */
	for (i = 0; i < 1000 && !READ_ONCE(r->in_flight); i++)
		usleep_range(1000, 2000);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(r->in_flight));
	return l;
}

static void check_all_done(struct kunit *test, struct lt *l, int n)
{
	int i, enodev = 0;

	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, atomic_read(&l[i].calls), 1);
		KUNIT_EXPECT_TRUE(test, l[i].task.rv == 4 || l[i].task.rv == -ENODEV);
		enodev += l[i].task.rv == -ENODEV;
	}
	KUNIT_EXPECT_GE(test, enodev, n - 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&lt_done), n);
}

static int match_doe_dev(struct device *dev, void *data)
{
	return !strncmp(dev_name(dev), "pci_doe.doe.", 12);
}

static struct device *doe_auxdev(struct kunit *test, struct fake *f)
{
	struct device *dev = device_find_child(&f->pdev->dev, NULL, match_doe_dev);

	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_device_action, dev));
	return dev;
}

/* Unbind the generic driver with 50 queued and one in flight */
static void unbind_generic_busy(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *adev = doe_auxdev(test, f);
	struct lt *l;

	f->resp[0].delay_us = 50000;
	l = queue_many(test, doe, &f->resp[0], 51);
	device_release_driver(adev);
	check_all_done(test, l, 51);

	/* Handed over: the kernel's users get -ENODEV, lookups nothing */
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
	KUNIT_EXPECT_NULL(test, pci_doe_find(f->pdev, TEST_VID, PROT_ECHO));
	KUNIT_EXPECT_FALSE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO));

	/* Bind again: Abort, rediscover, work */
	f->resp[0].delay_us = 0;
	KUNIT_ASSERT_EQ(test, device_attach(adev), 1);
	KUNIT_EXPECT_TRUE(test, pci_doe_supports_prot(doe, TEST_VID, PROT_ECHO));
	echo_ok(test, doe, 3);
}

/* Unbind the parent PCI driver with 50 queued and one in flight */
static void unbind_parent_busy(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, true, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct lt *l;

	f->resp[0].delay_us = 50000;
	l = queue_many(test, doe, &f->resp[0], 51);
	device_release_driver(&f->pdev->dev);
	check_all_done(test, l, 51);
	/* The reference from pci_doe_find() is still good */
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
	KUNIT_EXPECT_NULL(test, pci_doe_find(f->pdev, TEST_VID, PROT_ECHO));
}

/* Remove the function while an exchange waits for Data Object Ready */
static void remove_waiting(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct pci_dev *pdev = f->pdev;
	struct lt *l;

	set_fault(&f->resp[0], F_NO_READY, 0);
	l = queue_many(test, doe, &f->resp[0], 1);
	WRITE_ONCE(f->all_ones, true);
	pci_stop_and_remove_bus_device_locked(pdev);
	check_all_done(test, l, 1);
	KUNIT_EXPECT_EQ(test, l[0].task.rv, -ENODEV);
	KUNIT_EXPECT_EQ(test, echo_rc(doe), -ENODEV);
}

/* The sysfs interrupt attribute says how the DOE Capability is driven */
static void interrupt_attr(struct kunit *test)
{
	struct fake *fi = fake_create(test, 1, true, 1);
	struct fake *fp = fake_create(test, 1, false, 1);
	struct device *di = doe_auxdev(test, fi), *dp = doe_auxdev(test, fp);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL), want[32];
	const struct attribute_group **g = di->type->groups;
	struct device_attribute *attr = NULL;
	int i;

	for (i = 0; g[0]->attrs[i]; i++)
		if (!strcmp(g[0]->attrs[i]->name, "interrupt"))
			attr = container_of(g[0]->attrs[i], struct device_attribute, attr);
	KUNIT_ASSERT_NOT_NULL(test, attr);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	snprintf(want, sizeof(want), "irq %d\n", fi->resp[0].irq);
	attr->show(di, attr, buf);
	KUNIT_EXPECT_STREQ(test, buf, want);
	attr->show(dp, attr, buf);
	KUNIT_EXPECT_STREQ(test, buf, "poll\n");
}

/*
 * A kernel user's claim makes PCI_DOE_IOC_EXCHANGE refuse the protocol
 * with -EBUSY, unless read-only safe; Discovery is never refused; the
 * claim ends when the claimer's driver unbinds.
 */
static void claims(struct kunit *test)
{
	struct fake *f = fake_create(test, 1, false, 1);
	struct pci_doe_dev *doe = find_doe(test, f, PROT_ECHO);
	struct device *dev = kunit_device_register(test, "doe-kunit-claimer");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_EXPECT_EQ(test, pci_doe_user_permitted(doe, TEST_VID, PROT_ECHO), 0);
	KUNIT_EXPECT_EQ(test, devm_pci_doe_claim(dev, doe, TEST_VID, PROT_ECHO, 0), 0);
	KUNIT_EXPECT_EQ(test, pci_doe_user_permitted(doe, TEST_VID, PROT_ECHO), -EBUSY);
	KUNIT_EXPECT_EQ(test, devm_pci_doe_claim(dev, doe, TEST_VID, PROT_ECHO, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, devm_pci_doe_claim(dev, doe, TEST_VID, PROT_LARGE,
						 PCI_DOE_CLAIM_READ_ONLY_SAFE), 0);
	KUNIT_EXPECT_EQ(test, pci_doe_user_permitted(doe, TEST_VID, PROT_LARGE), 0);
	KUNIT_EXPECT_EQ(test, devm_pci_doe_claim(dev, doe, PCI_VENDOR_ID_PCI_SIG,
						 PCI_DOE_PROTOCOL_DISCOVERY, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, pci_doe_user_permitted(doe, PCI_VENDOR_ID_PCI_SIG,
						     PCI_DOE_PROTOCOL_DISCOVERY), 0);
	/* The claim does not stop the kernel's own exchanges */
	echo_ok(test, doe, 2);
	kunit_device_unregister(test, dev);
	KUNIT_EXPECT_EQ(test, pci_doe_user_permitted(doe, TEST_VID, PROT_ECHO), 0);
}

static int doe_kunit_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return devm_pci_doe_create_devices(pdev);
}

static const struct pci_device_id doe_kunit_ids[] = {
	{ PCI_DEVICE(FAKE_VENDOR, FAKE_DEVICE) },
	{ }
};

static struct pci_driver doe_kunit_driver = {
	.name = "doe_kunit",
	.id_table = doe_kunit_ids,
	.probe = doe_kunit_probe,
};

static int doe_kunit_suite_init(struct kunit_suite *suite)
{
	pci_doe_kunit_set_irq_hook(fake_irq_hook);
	return pci_register_driver(&doe_kunit_driver);
}

static void doe_kunit_suite_exit(struct kunit_suite *suite)
{
	pci_unregister_driver(&doe_kunit_driver);
	pci_doe_kunit_set_irq_hook(NULL);
}

static struct kunit_case doe_kunit_cases[] = {
	KUNIT_CASE(discovery_poll),
	KUNIT_CASE(discovery_irq),
	KUNIT_CASE(discovery_version_2),
	KUNIT_CASE(echo_poll),
	KUNIT_CASE(echo_irq),
	KUNIT_CASE(payload_dword_sizes),
	KUNIT_CASE(payload_byte_sizes),
	KUNIT_CASE_SLOW(max_object_length_zero),
	KUNIT_CASE(large_response),
	KUNIT_CASE(oversize_request),
	KUNIT_CASE(response_truncated),
	KUNIT_CASE(unlisted_protocol),
	KUNIT_CASE(bad_task),
	KUNIT_CASE_SLOW(busy_stuck_poll),
	KUNIT_CASE_SLOW(busy_stuck_irq),
	KUNIT_CASE(busy_50ms_poll),
	KUNIT_CASE(busy_50ms_irq),
	KUNIT_CASE(error_before_go_poll),
	KUNIT_CASE(error_before_go_irq),
	KUNIT_CASE(error_not_ready_poll),
	KUNIT_CASE(error_not_ready_irq),
	KUNIT_CASE(error_after_last_poll),
	KUNIT_CASE(error_after_last_irq),
	KUNIT_CASE_SLOW(no_ready_poll),
	KUNIT_CASE_SLOW(no_ready_irq),
	KUNIT_CASE(ready_drop_poll),
	KUNIT_CASE(ready_drop_irq),
	KUNIT_CASE(short_response_poll),
	KUNIT_CASE(short_response_irq),
	KUNIT_CASE(short_response_quiet_poll),
	KUNIT_CASE(short_response_quiet_irq),
	KUNIT_CASE(ready_drop_quiet_poll),
	KUNIT_CASE(ready_drop_quiet_irq),
	KUNIT_CASE(long_response_poll),
	KUNIT_CASE(long_response_irq),
	KUNIT_CASE(wrong_vid_poll),
	KUNIT_CASE(wrong_vid_irq),
	KUNIT_CASE(wrong_type_poll),
	KUNIT_CASE(wrong_type_irq),
	KUNIT_CASE(length_one_poll),
	KUNIT_CASE(length_one_irq),
	KUNIT_CASE_SLOW(abort_stuck_poll),
	KUNIT_CASE_SLOW(abort_stuck_irq),
	KUNIT_CASE(all_ones_poll),
	KUNIT_CASE(all_ones_irq),
	KUNIT_CASE(spurious_irq),
	KUNIT_CASE(irq_wakes_exchange),
	KUNIT_CASE(slow_responder_2ms),
	KUNIT_CASE_SLOW(eight_threads),
	KUNIT_CASE(two_caps_parallel),
	KUNIT_CASE(unbind_generic_busy),
	KUNIT_CASE(unbind_parent_busy),
	KUNIT_CASE(remove_waiting),
	KUNIT_CASE(interrupt_attr),
	KUNIT_CASE(claims),
	{ }
};

static struct kunit_suite doe_kunit_suite = {
	.name = "pci_doe",
	.suite_init = doe_kunit_suite_init,
	.suite_exit = doe_kunit_suite_exit,
	.test_cases = doe_kunit_cases,
};

kunit_test_suite(doe_kunit_suite);

MODULE_DESCRIPTION("KUnit tests for PCI Data Object Exchange");
MODULE_LICENSE("GPL");
