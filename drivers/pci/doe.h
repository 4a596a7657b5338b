/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to drivers/pci/doe.c and its KUnit test, drivers/pci/doe_kunit.c.
 */
#ifndef DRIVERS_PCI_DOE_H
#define DRIVERS_PCI_DOE_H

#include <linux/types.h>

struct pci_dev;
struct pci_doe_dev;

#if IS_ENABLED(CONFIG_PCI_DOE_KUNIT_TEST)
void pci_doe_kunit_set_irq_hook(int (*hook)(struct pci_dev *pdev, u16 doe_cap));
int pci_doe_kunit_irq_events(struct pci_doe_dev *doe);
#endif

/* VISIBLE_IF_KUNIT: static unless KUnit is built */
#if IS_ENABLED(CONFIG_KUNIT)
int pci_doe_user_permitted(struct pci_doe_dev *doe, u16 vid, u8 type);
#endif

#endif /* DRIVERS_PCI_DOE_H */
