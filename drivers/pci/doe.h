/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to drivers/pci/doe.c and its KUnit test, drivers/pci/doe_kunit.c.
 */
#ifndef DRIVERS_PCI_DOE_H
#define DRIVERS_PCI_DOE_H

#include <linux/types.h>

struct device;
struct file;
struct pci_dev;
struct pci_doe_dev;

/* The optional steps of a binding that struct pci_doe_kunit_ops may fail */
enum pci_doe_kunit_step {
	PCI_DOE_KUNIT_FEATURES,		/* sysfs features/ */
	PCI_DOE_KUNIT_CDEV,		/* the character device */
};

/**
 * struct pci_doe_kunit_ops - The one seam between doe.c and its KUnit test
 * @vector: The Linux IRQ of DOE Interrupt Message Number @msg of @pdev, in
 *	    place of pci_irq_vector(): 0 if there is none, -ENODEV if @pdev
 *	    is not the test's, so that doe.c looks the vector up as usual
 * @submitted: Called by pci_doe_submit_task() after it queued a task;
 *	       lets a test hold the submitter there
 * @inject: Return an error to fail an optional step of a binding
 */
struct pci_doe_kunit_ops {
	int (*vector)(struct pci_dev *pdev, unsigned int msg);
	void (*submitted)(struct pci_doe_dev *doe);
	int (*inject)(struct pci_doe_dev *doe, enum pci_doe_kunit_step step);
};

#if IS_ENABLED(CONFIG_PCI_DOE_KUNIT_TEST)
void pci_doe_kunit_set_ops(const struct pci_doe_kunit_ops *ops);
int pci_doe_kunit_irq_events(struct pci_doe_dev *doe);
struct device *pci_doe_kunit_dev(struct pci_doe_dev *doe);
void pci_doe_kunit_set_poll(bool poll);
struct file *pci_doe_kunit_open(struct pci_doe_dev *doe);
#endif

#endif /* DRIVERS_PCI_DOE_H */
