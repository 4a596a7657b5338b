// SPDX-License-Identifier: GPL-2.0
/*
 * doe_bench: the DOE measurements of "make bench", built out of tree
 * against the base kernel and against the series (lab/scripts/bench.sh).
 *
 * The two DOE APIs differ only in how a DOE Capability is found; a thin
 * #if picks one.  Everything is done from module init, results go to the
 * kernel log as "doe_bench: KEY VALUE..." lines, and init returns
 * -ECANCELED so that nothing stays loaded (except with test=wq).
 *
 * Parameters:
 *   test=lat     Median and p99 latency of pci_doe() over n exchanges, for
 *                Discovery (index 0) and for a CDAT read of entry 0
 *   test=floor   The same exchanges as the spec's minimum sequence of
 *                config accesses, issued back to back (PCIe r6.2 sec
 *                6.30.2): header and payload writes, Go, one DOE Status
 *                read, then each response dword read and acknowledged
 *   test=mark    Read the DOE Capabilities register three times: a marker
 *                in QEMU's config access trace
 *   test=count   mark, n Discovery exchanges, mark, n CDAT reads, mark
 *   test=conc    n exchanges by each of 4 threads, on 4 DOE Capabilities
 *                and on 1; exchanges per second
 *   test=wq      Keep n ordered workqueues like the base's per-mailbox one
 *                (module stays loaded; rmmod frees them)
 *   test=size    ksize() of the structure each kernel allocates per DOE
 *                Capability: the base's struct pci_doe_mb, the series'
 *                struct pci_doe_dev (which embeds its auxiliary device)
 */
#include <linux/bitfield.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-doe.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>

#define DISCOVERY		0x00	/* PCI-SIG Data Object Type */
#define CXL_VID			0x1e98
#define CXL_TABLE_ACCESS	0x02
#define MAX_DOE			16
#define THREADS			4

#ifdef PCI_DOE_CLAIM_READ_ONLY_SAFE	/* the series */
#define KERNEL_NAME "series"
typedef struct pci_doe_dev bench_doe_t;

static bench_doe_t *bench_find(struct pci_dev *pdev)
{
	return pci_doe_find(pdev, CXL_VID, CXL_TABLE_ACCESS);
}

static void bench_put(bench_doe_t *doe)
{
	pci_doe_put(doe);
}
#else					/* the base: the PCI core's mailboxes */
#define KERNEL_NAME "base"
typedef struct pci_doe_mb bench_doe_t;

static bench_doe_t *bench_find(struct pci_dev *pdev)
{
	return pci_find_doe_mailbox(pdev, CXL_VID, CXL_TABLE_ACCESS);
}

static void bench_put(bench_doe_t *doe)
{
}
#endif

static char *test = "lat";
module_param(test, charp, 0444);
static unsigned int n = 2000;
module_param(n, uint, 0444);
static char *mode = "-";
module_param(mode, charp, 0444);	/* a label for the output lines */

struct cap {
	struct pci_dev *pdev;
	bench_doe_t *doe;
	u16 off;
};

static struct cap caps[MAX_DOE];
static int nr_caps;

static unsigned int floor_rsp_dw;	/* response Length the floor saw */

static struct workqueue_struct **wqs;
static unsigned int nr_wqs;

static int find_caps(void)
{
	struct pci_dev *pdev = NULL;

	while ((pdev = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, pdev))) {
		u16 off = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_DOE);
		bench_doe_t *doe;

		if (!off || nr_caps == MAX_DOE)
			continue;
		doe = bench_find(pdev);
		if (!doe)
			continue;
		caps[nr_caps].pdev = pci_dev_get(pdev);
		caps[nr_caps].doe = doe;
		caps[nr_caps].off = off;
		nr_caps++;
	}
	return nr_caps;
}

static void put_caps(void)
{
	while (nr_caps--) {
		bench_put(caps[nr_caps].doe);
		pci_dev_put(caps[nr_caps].pdev);
	}
}

/* One exchange; the request is one dword of 0 in both cases */
static int exchange(struct cap *c, bool cdat)
{
	__le32 req = 0, rsp[8];
	int rc;

	if (cdat)	/* Read Entry, CDAT, entry handle 0: the CDAT header */
		rc = pci_doe(c->doe, CXL_VID, CXL_TABLE_ACCESS, &req,
			     sizeof(req), rsp, sizeof(rsp));
	else		/* Discovery, index 0 */
		rc = pci_doe(c->doe, PCI_VENDOR_ID_PCI_SIG, DISCOVERY, &req,
			     sizeof(req), rsp, sizeof(rsp));
	return rc < 0 ? rc : 0;
}

/*
 * The spec's minimum: 3 request dwords written, Go, one DOE Status read
 * (QEMU answers on Go, so Data Object Ready is set), every response dword
 * read and acknowledged.  Returns the number of extra DOE Status reads a
 * device needed, or -EIO.
 */
static int floor_exchange(struct cap *c, bool cdat)
{
	struct pci_dev *pdev = c->pdev;
	int off = c->off, extra = 0;
	u32 val, len, i;

	pci_write_config_dword(pdev, off + PCI_DOE_WRITE,
			       cdat ? CXL_VID | CXL_TABLE_ACCESS << 16 :
				      PCI_VENDOR_ID_PCI_SIG);
	pci_write_config_dword(pdev, off + PCI_DOE_WRITE, 3);
	pci_write_config_dword(pdev, off + PCI_DOE_WRITE, 0);
	pci_write_config_dword(pdev, off + PCI_DOE_CTRL, PCI_DOE_CTRL_GO);
	for (;;) {
		pci_read_config_dword(pdev, off + PCI_DOE_STATUS, &val);
		if (val & PCI_DOE_STATUS_DATA_OBJECT_READY)
			break;
		if (PCI_POSSIBLE_ERROR(val) || (val & PCI_DOE_STATUS_ERROR) ||
		    ++extra > 1000000)
			return -EIO;
	}
	pci_read_config_dword(pdev, off + PCI_DOE_READ, &val);
	pci_write_config_dword(pdev, off + PCI_DOE_READ, 0);
	pci_read_config_dword(pdev, off + PCI_DOE_READ, &len);
	pci_write_config_dword(pdev, off + PCI_DOE_READ, 0);
	len = FIELD_GET(PCI_DOE_DATA_OBJECT_HEADER_2_LENGTH, len);
	if (len < 2 || len > 64)
		return -EIO;
	floor_rsp_dw = len;
	for (i = 2; i < len; i++) {
		pci_read_config_dword(pdev, off + PCI_DOE_READ, &val);
		pci_write_config_dword(pdev, off + PCI_DOE_READ, 0);
	}
	return extra;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int time_exchanges(const char *what, struct cap *c, bool cdat, bool raw)
{
	u64 *ns = kvcalloc(n, sizeof(*ns), GFP_KERNEL);
	unsigned int i, extra = 0;
	int rc = 0;

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		u64 t0 = ktime_get_ns();

		rc = raw ? floor_exchange(c, cdat) : exchange(c, cdat);
		ns[i] = ktime_get_ns() - t0;
		if (rc < 0)
			break;
		extra += rc;
		cond_resched();
	}
	if (rc >= 0) {
		sort(ns, n, sizeof(*ns), cmp_u64, NULL);
		pr_info("doe_bench: %s %s %s %s n=%u median_ns=%llu p99_ns=%llu extra_status_reads=%u rsp_dw=%u\n",
			KERNEL_NAME, mode, what, cdat ? "cdat" : "discovery", n,
			ns[n / 2], ns[n * 99 / 100], extra, raw ? floor_rsp_dw : 0);
		rc = 0;
	} else {
		pr_err("doe_bench: %s %s exchange %u failed: %d\n", what,
		       cdat ? "cdat" : "discovery", i, rc);
	}
	kvfree(ns);
	return rc;
}

/* Three reads of the DOE Capabilities register in a row; nothing else does */
static void mark(void)
{
	u32 val;
	int i;

	for (i = 0; i < 3; i++)
		pci_read_config_dword(caps[0].pdev, caps[0].off + PCI_DOE_CAP, &val);
}

struct conc_thread {
	struct cap *cap;
	struct completion *start;
	struct completion done;
	int rc;
};

static int conc_fn(void *data)
{
	struct conc_thread *t = data;
	unsigned int i;

	wait_for_completion(t->start);
	for (i = 0; i < n && !t->rc; i++)
		t->rc = exchange(t->cap, false);
	complete(&t->done);
	return 0;
}

/* THREADS threads, thread i on caps[i % spread]; exchanges per second */
static int concurrency(int spread)
{
	struct conc_thread t[THREADS];
	DECLARE_COMPLETION_ONSTACK(start);
	u64 t0, ns;
	int i, rc = 0;

	for (i = 0; i < THREADS; i++) {
		struct task_struct *k;

		t[i].cap = &caps[i % spread];
		t[i].start = &start;
		t[i].rc = 0;
		init_completion(&t[i].done);
		k = kthread_run(conc_fn, &t[i], "doe_bench/%d", i);
		if (IS_ERR(k))
			return PTR_ERR(k);
	}
	t0 = ktime_get_ns();
	complete_all(&start);
	for (i = 0; i < THREADS; i++) {
		wait_for_completion(&t[i].done);
		rc = rc ?: t[i].rc;
	}
	ns = ktime_get_ns() - t0;
	if (rc)
		return rc;
	pr_info("doe_bench: %s %s conc threads=%d caps=%d exchanges=%u per_s=%llu\n",
		KERNEL_NAME, mode, THREADS, spread, THREADS * n,
		div64_u64((u64)THREADS * n * NSEC_PER_SEC, ns));
	return 0;
}

static int __init doe_bench_init(void)
{
	int rc = 0;

	if (!strcmp(test, "wq")) {
		wqs = kcalloc(n, sizeof(*wqs), GFP_KERNEL);
		if (!wqs)
			return -ENOMEM;
		/* As the base kernel makes one per DOE mailbox */
		for (nr_wqs = 0; nr_wqs < n; nr_wqs++) {
			wqs[nr_wqs] = alloc_ordered_workqueue("doe_bench %u", 0, nr_wqs);
			if (!wqs[nr_wqs])
				break;
		}
		pr_info("doe_bench: %s wq %u ordered workqueues\n", KERNEL_NAME, nr_wqs);
		return 0;
	}

	if (!find_caps()) {
		pr_err("doe_bench: no DOE Capability serving CDAT\n");
		return -ENODEV;
	}
	pr_info("doe_bench: %s %d DOE Capabilities\n", KERNEL_NAME, nr_caps);

	if (!strcmp(test, "lat")) {
		rc = time_exchanges("lat", &caps[0], false, false) ?:
		     time_exchanges("lat", &caps[0], true, false);
	} else if (!strcmp(test, "floor")) {
		rc = time_exchanges("floor", &caps[0], false, true) ?:
		     time_exchanges("floor", &caps[0], true, true);
	} else if (!strcmp(test, "size")) {
		pr_info("doe_bench: %s size struct=%zu\n", KERNEL_NAME, ksize(caps[0].doe));
	} else if (!strcmp(test, "mark")) {
		mark();
	} else if (!strcmp(test, "count")) {
		int i;

		mark();
		for (i = 0; i < n && !rc; i++)
			rc = exchange(&caps[0], false);
		mark();
		for (i = 0; i < n && !rc; i++)
			rc = exchange(&caps[0], true);
		mark();
		pr_info("doe_bench: %s %s count %s offset %#x n=%u rc=%d\n",
			KERNEL_NAME, mode, pci_name(caps[0].pdev), caps[0].off, n, rc);
	} else if (!strcmp(test, "conc")) {
		if (nr_caps < THREADS)
			rc = -ENODEV;
		else
			rc = concurrency(THREADS) ?: concurrency(1);
	} else {
		rc = -EINVAL;
	}
	put_caps();
	if (rc)
		pr_err("doe_bench: %s failed: %d\n", test, rc);
	return rc ?: -ECANCELED;
}

static void __exit doe_bench_exit(void)
{
	while (nr_wqs--)
		destroy_workqueue(wqs[nr_wqs]);
	kfree(wqs);
}

module_init(doe_bench_init);
module_exit(doe_bench_exit);
MODULE_DESCRIPTION("DOE measurements for make bench");
MODULE_LICENSE("GPL");
