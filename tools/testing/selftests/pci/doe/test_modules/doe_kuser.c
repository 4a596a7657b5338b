// SPDX-License-Identifier: GPL-2.0
/*
 * doe_kuser: a kernel user of one DOE Capability, for doe_ioctl_test.
 *
 * The unbind/bind stress test needs the kernel itself exchanging on the
 * DOE Capability it cycles, at the same time as userspace.  The in-tree
 * users (the CXL drivers) exchange only when they probe, so this module
 * is that user: loaded with bdf=DDDD:BB:DD.F, it finds the function's DOE
 * Capability with pci_doe_find(), keeps the reference, and runs Discovery
 * index 0 through pci_doe() in a loop in a kernel thread until it is
 * unloaded.  Across unbind and bind of the generic DOE driver the
 * reference stays valid: exchanges fail with -ENODEV while unbound and
 * work again once bound.
 *
 * The counts are in /sys/kernel/debug/doe_kuser/: ok (a good Discovery
 * response), enodev (the generic driver was not bound), failed (any other
 * result, or a wrong response) and last_error (the last such result).
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-doe.h>

static char *bdf;
module_param(bdf, charp, 0444);
MODULE_PARM_DESC(bdf, "PCI function whose DOE Capability to exchange on");

static struct pci_dev *kuser_pdev;
static struct pci_doe_dev *kuser_doe;
static struct task_struct *kuser_task;
static struct dentry *kuser_dir;
static atomic_t kuser_ok, kuser_enodev, kuser_failed, kuser_last_error;

static int kuser_fn(void *unused)
{
	while (!kthread_should_stop()) {
		__le32 req = cpu_to_le32(0), rsp = cpu_to_le32(0);
		int rc;

		/* Index 0 of Discovery answers with Discovery: 0001h, 00h */
		rc = pci_doe(kuser_doe, PCI_VENDOR_ID_PCI_SIG,
			     PCI_DOE_PROTOCOL_DISCOVERY, &req, sizeof(req),
			     &rsp, sizeof(rsp));
		if (rc == sizeof(rsp) &&
		    (le32_to_cpu(rsp) & GENMASK(23, 0)) == PCI_VENDOR_ID_PCI_SIG) {
			atomic_inc(&kuser_ok);
			cond_resched();
			continue;
		}
		if (rc == -ENODEV) {
			atomic_inc(&kuser_enodev);
		} else {
			atomic_inc(&kuser_failed);
			atomic_set(&kuser_last_error, rc < 0 ? rc : -EIO);
		}
		usleep_range(100, 200);
	}
	return 0;
}

static int __init doe_kuser_init(void)
{
	unsigned int domain, bus, dev, fn;
	int rc;

	if (!bdf || sscanf(bdf, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4)
		return -EINVAL;
	kuser_pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(dev, fn));
	if (!kuser_pdev)
		return -ENODEV;
	kuser_doe = pci_doe_find(kuser_pdev, PCI_VENDOR_ID_PCI_SIG,
				 PCI_DOE_PROTOCOL_DISCOVERY);
	if (!kuser_doe) {
		rc = -ENODEV;
		goto err_pdev;
	}

	kuser_dir = debugfs_create_dir("doe_kuser", NULL);
	debugfs_create_atomic_t("ok", 0444, kuser_dir, &kuser_ok);
	debugfs_create_atomic_t("enodev", 0444, kuser_dir, &kuser_enodev);
	debugfs_create_atomic_t("failed", 0444, kuser_dir, &kuser_failed);
	debugfs_create_atomic_t("last_error", 0444, kuser_dir,
				&kuser_last_error);

	kuser_task = kthread_run(kuser_fn, NULL, "doe_kuser");
	if (IS_ERR(kuser_task)) {
		rc = PTR_ERR(kuser_task);
		goto err_doe;
	}
	return 0;

err_doe:
	debugfs_remove_recursive(kuser_dir);
	pci_doe_put(kuser_doe);
err_pdev:
	pci_dev_put(kuser_pdev);
	return rc;
}

static void __exit doe_kuser_exit(void)
{
	kthread_stop(kuser_task);
	debugfs_remove_recursive(kuser_dir);
	pci_doe_put(kuser_doe);
	pci_dev_put(kuser_pdev);
}

module_init(doe_kuser_init);
module_exit(doe_kuser_exit);
MODULE_DESCRIPTION("A kernel user of a DOE Capability for the DOE kselftests");
MODULE_LICENSE("GPL");
