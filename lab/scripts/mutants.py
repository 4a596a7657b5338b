#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The text side of make mutants (lab/scripts/mutants.sh).

  mutants.py check LIST SRC          validate LIST against the series tree SRC
  mutants.py gen LIST SRC OUT        write the instrumented files to OUT
  mutants.py plan LIST SRC           the boots: baseline first, then one per mutant
  mutants.py verdict LOG N SUITE CASE...
                                     judge the boot of mutant N (0: baseline)
  mutants.py report LOG              the first kernel report of a boot

verdict and report read LOG with kunit.py's own parser, kunit_parser.py of
the tree whose tools/testing/kunit is $KUNIT_DIR (mutants.sh sets it).

LIST is lab/mutants; its format is described at its top.  Every mutant is
one or more literal replacements (sites) FROM -> TO in a file of the series
tree.  FROM must occur exactly once in the pristine file, sites must not
overlap, the cases must exist in the KUnit source, and the number of
mutants must equal the "mutants N" line: anything else fails loudly.

The instrumented copy of a file holds every mutant at once, each behind the
test-only selector pci_doe_mutant (kernel parameter pci_doe.mutant=N, N
counting the mutants of LIST from 1; 0 runs the code as shipped):

  stmt    { if (pci_doe_mutant == N) { TO } else { FROM } }
  expr    (pci_doe_mutant == N ? (TO) : (FROM))
  define  #define NAME (pci_doe_mutant == N ? (TO) : (FROM))
"""

import fnmatch
import os
import re
import sys

SELECTOR = 'pci_doe_mutant'
HOME = 'drivers/pci/doe.c'	# defines the selector and its parameter
KUNIT_SRC = 'drivers/pci/doe_kunit.c'
DEFAULT_SUITE = 'pci_doe'
KINDS = ('stmt', 'expr', 'define')


class ListError(Exception):
    pass


class Site:
    def __init__(self, path, lineno):
        self.path = path
        self.lineno = lineno
        self.kind = 'stmt'
        self.frm = None		# text, or a list of "|" lines while parsing
        self.to = None
        self.start = self.end = None


class Mutant:
    def __init__(self, name, lineno):
        self.name = name
        self.lineno = lineno
        self.index = 0
        self.kind = 'stmt'	# of the sites that follow, while parsing
        self.path = None
        self.cases = []
        self.args = []
        self.timeout = None
        self.sites = []


def parse_list(path):
    """Parse LIST; return (expected count, [Mutant])."""
    expected = None
    mutants = []
    cur = None
    block = None	# the list "|" lines go to
    with open(path) as fh:
        lines = fh.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()

    def err(n, msg):
        raise ListError(f'{path}:{n}: {msg}')

    for n, line in enumerate(lines, 1):
        if line.startswith('|'):
            if block is None:
                err(n, '"|" line outside a from/to block')
            block.append(line[1:])
            continue
        block = None
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        key, _, rest = line.partition(' ')
        if key == 'mutants':
            if expected is not None:
                err(n, 'a second "mutants" line')
            if not rest.strip().isdigit():
                err(n, '"mutants" needs a number')
            expected = int(rest)
        elif key == 'mutant':
            name = rest.strip()
            if not re.fullmatch(r'[a-z0-9][a-z0-9-]*', name):
                err(n, f'bad mutant name {name!r}')
            cur = Mutant(name, n)
            mutants.append(cur)
        elif cur is None:
            err(n, f'{key!r} before the first "mutant"')
        elif key == 'file':
            cur.path = rest.strip()
        elif key == 'kind':
            if rest.strip() not in KINDS:
                err(n, f'kind must be one of {", ".join(KINDS)}')
            cur.kind = rest.strip()
        elif key == 'cases':
            cur.cases += rest.split()
        elif key == 'args':
            cur.args += rest.split()
        elif key == 'timeout':
            if not rest.strip().isdigit():
                err(n, '"timeout" needs seconds')
            cur.timeout = int(rest)
        elif key == 'from':
            if cur.path is None:
                err(n, '"from" before "file"')
            site = Site(cur.path, n)
            site.kind = cur.kind
            cur.sites.append(site)
            site.frm = rest if rest else []
            block = None if rest else site.frm
        elif key == 'to':
            if not cur.sites or cur.sites[-1].to is not None:
                err(n, '"to" without its "from"')
            site = cur.sites[-1]
            site.to = rest if rest else []
            block = None if rest else site.to
        else:
            err(n, f'unknown key {key!r}')
    for m in mutants:
        if not m.sites:
            raise ListError(f'{path}:{m.lineno}: mutant {m.name} has no from/to')
        if not m.cases:
            raise ListError(f'{path}:{m.lineno}: mutant {m.name} lists no cases')
        for s in m.sites:
            if s.to is None:
                raise ListError(f'{path}:{s.lineno}: mutant {m.name}: "from" without "to"')
            if isinstance(s.frm, list):
                s.frm = '\n'.join(s.frm)
            if isinstance(s.to, list):
                s.to = '\n'.join(s.to)
            if not s.frm:
                raise ListError(f'{path}:{s.lineno}: mutant {m.name}: empty "from"')
    return expected, mutants


def kunit_cases(src):
    """{suite: {case: weight}} from the KUnit source of the series tree."""
    text = open(os.path.join(src, KUNIT_SRC)).read()
    arrays = {}
    for m in re.finditer(r'static struct kunit_case (\w+)\[\] = \{(.*?)\n\};', text, re.S):
        cases = {}
        for c in re.finditer(r'KUNIT_CASE(_SLOW|_PARAM)?\((\w+)', m.group(2)):
            # what a case costs when a glob takes it in: slow ones most
            cases[c.group(2)] = {'_SLOW': 10, '_PARAM': 4}.get(c.group(1), 1)
        arrays[m.group(1)] = cases
    suites = {}
    for m in re.finditer(r'static struct kunit_suite \w+ = \{(.*?)\n\};', text, re.S):
        name = re.search(r'\.name = "([^"]+)"', m.group(1))
        cases = re.search(r'\.test_cases = (\w+)', m.group(1))
        if name and cases and cases.group(1) in arrays:
            suites[name.group(1)] = arrays[cases.group(1)]
    return suites


def split_case(c):
    return c.split('.', 1) if '.' in c else (DEFAULT_SUITE, c)


def validate(listpath, src):
    """Parse and check LIST against SRC; return the mutants, numbered."""
    expected, mutants = parse_list(listpath)
    problems = []
    if expected is None:
        problems.append('no "mutants N" line: the expected number of mutants')
    elif expected != len(mutants):
        problems.append(f'"mutants {expected}" but {len(mutants)} mutants are listed')
    names = [m.name for m in mutants]
    for name in sorted(set(n for n in names if names.count(n) > 1)):
        problems.append(f'mutant {name} is listed twice')
    suites = kunit_cases(src)
    if DEFAULT_SUITE not in suites:
        problems.append(f'no KUnit suite {DEFAULT_SUITE} in {KUNIT_SRC}')
    texts = {}
    for i, m in enumerate(mutants, 1):
        m.index = i
        msuites = set()
        for c in m.cases:
            suite, case = split_case(c)
            msuites.add(suite)
            if case not in suites.get(suite, {}):
                problems.append(f'mutant {m.name}: no KUnit case {suite}.{case} in {KUNIT_SRC}')
        if len(msuites) > 1:
            problems.append(f'mutant {m.name}: cases of several suites ({", ".join(sorted(msuites))}); one boot runs one suite')
        for s in m.sites:
            p = os.path.join(src, s.path)
            if s.path not in texts:
                if not os.path.isfile(p):
                    problems.append(f'mutant {m.name}: no file {s.path} in the series tree')
                    continue
                texts[s.path] = open(p).read()
            text = texts[s.path]
            n = text.count(s.frm)
            first = s.frm.split('\n')[0].strip()
            if n != 1:
                problems.append(f'mutant {m.name}: FROM text found {n} times in {s.path} (must be once; the code moved? update lab/mutants): {first!r}')
                continue
            if s.frm == s.to:
                problems.append(f'mutant {m.name}: FROM and TO are the same: {first!r}')
            if s.kind == 'define':
                a = re.fullmatch(r'#define[ \t]+(\w+)[ \t]+(.*)', s.frm)
                b = re.fullmatch(r'#define[ \t]+(\w+)[ \t]+(.*)', s.to)
                if not a or not b or a.group(1) != b.group(1):
                    problems.append(f'mutant {m.name}: kind define needs "#define NAME BODY" on one line, same NAME, in FROM and TO')
            s.start = text.index(s.frm)
            s.end = s.start + len(s.frm)
    if texts.get(HOME, '').count(SELECTOR):
        problems.append(f'the series tree\'s {HOME} mentions {SELECTOR}: the shipped file never has a selector')
    for path in texts:
        sites = sorted(((s.start, s.end, m.name) for m in mutants for s in m.sites
                        if s.path == path and s.start is not None))
        for (a0, a1, an), (b0, b1, bn) in zip(sites, sites[1:]):
            if b0 < a1:
                problems.append(f'mutants {an} and {bn} overlap in {path}')
    if problems:
        raise ListError('\n'.join(problems))
    return mutants, suites


def instrument(text, path, sites):
    """The instrumented copy of one file; sites: [(Site, Mutant)]."""
    for s, m in sorted(sites, key=lambda x: -x[0].start):
        n = m.index
        if s.kind == 'stmt':
            # braced: no dangling else where FROM is the body of an if
            new = (f'{{ if ({SELECTOR} == {n}) {{ /* mutant {m.name} */\n{s.to}\n}} else {{\n'
                   f'{s.frm}\n}} }}')
        elif s.kind == 'expr':
            new = f'({SELECTOR} == {n} ? ({s.to}) : ({s.frm}))'
        else:
            a = re.fullmatch(r'#define[ \t]+(\w+)[ \t]+(.*)', s.frm)
            b = re.fullmatch(r'#define[ \t]+(\w+)[ \t]+(.*)', s.to)
            new = (f'#define {a.group(1)} ({SELECTOR} == {n} ? ({b.group(2)}) : '
                   f'({a.group(2)})) /* mutant {m.name} */')
        text = text[:s.start] + new + text[s.end:]
    head = (f'/* Instrumented by lab/scripts/mutants.py: never shipped */\n'
            f'extern int {SELECTOR};\n')
    text = head + text
    if path == HOME:
        text += f'''
/* The test-only mutant selector of make mutants: pci_doe.mutant=N */
#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "pci_doe."
int {SELECTOR};

static int {SELECTOR}_set(const char *val, const struct kernel_param *kp)
{{
	int rc = param_set_int(val, kp);

	if (!rc)
		pr_info("pci_doe: mutant %d selected\\n", {SELECTOR});
	return rc;
}}

static const struct kernel_param_ops {SELECTOR}_ops = {{
	.set = {SELECTOR}_set,
	.get = param_get_int,
}};
module_param_cb(mutant, &{SELECTOR}_ops, &{SELECTOR}, 0444);
'''
    return text


def cmd_gen(listpath, src, out):
    mutants, _ = validate(listpath, src)
    paths = sorted({s.path for m in mutants for s in m.sites} | {HOME})
    for path in paths:
        sites = [(s, m) for m in mutants for s in m.sites if s.path == path]
        text = instrument(open(os.path.join(src, path)).read(), path, sites)
        dst = os.path.join(out, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        # Unchanged content keeps its mtime: the build stays incremental
        if os.path.exists(dst) and open(dst).read() == text:
            print(path)
            continue
        tmp = dst + '.tmp'
        with open(tmp, 'w') as fh:
            fh.write(text)
        os.replace(tmp, dst)
        print(path)


def glob_for(cases, weights):
    """The cheapest glob kunit's glob_match() takes all of @cases with."""
    cases = sorted(set(cases))
    if len(cases) == 1:
        return cases[0]

    def cls(chars):
        chars = sorted(set(chars))
        return chars[0] if len(chars) == 1 else '[' + ''.join(chars) + ']'

    shortest = min(len(c) for c in cases)
    best = None
    for p in range(shortest + 1):
        for s in range(shortest + 1 - p):
            g = ''.join(cls(c[i] for c in cases) for i in range(p)) + '*' + \
                ''.join(cls(c[len(c) - s + i] for c in cases) for i in range(s))
            taken = [c for c in weights if fnmatch.fnmatchcase(c, g)]
            assert all(c in taken for c in cases)
            key = (sum(weights[c] for c in taken), g.count('['), len(g))
            if best is None or key < best[0]:
                best = (key, g)
    return best[1]


def cmd_plan(listpath, src):
    """Lines: NAME|N|SUITE.GLOB|ARGS|TIMEOUT|CASES|EXTRA

    The baselines first (N 0, one per suite and arguments: every case the
    mutants' boots run), then one line per mutant.  TIMEOUT is empty
    unless the mutant sets it; EXTRA are the cases its glob takes in
    beyond its own.
    """
    mutants, suites = validate(listpath, src)
    boots = []
    for m in mutants:
        suite = split_case(m.cases[0])[0]
        cases = [split_case(c)[1] for c in m.cases]
        g = glob_for(cases, suites[suite])
        taken = [c for c in suites[suite] if fnmatch.fnmatchcase(c, g)]
        boots.append((m, suite, g, taken))
    # The baseline: every case a mutant's boot runs, per suite and args
    base = {}
    for m, suite, g, taken in boots:
        key = (suite, ' '.join(m.args))
        base.setdefault(key, set()).update(taken)
    for (suite, args), taken in sorted(base.items()):
        g = glob_for(sorted(taken), suites[suite])
        extra = [c for c in suites[suite] if fnmatch.fnmatchcase(c, g) and c not in taken]
        name = 'baseline/' + suite + ('/' + args.replace(' ', ',') if args else '')
        print('|'.join([name, '0', f'{suite}.{g}', args, '',
                         ' '.join(sorted(taken)), ' '.join(extra)]))
    for m, suite, g, taken in boots:
        cases = [split_case(c)[1] for c in m.cases]
        extra = [c for c in taken if c not in cases]
        print('|'.join([m.name, str(m.index), f'{suite}.{g}', ' '.join(m.args),
                         str(m.timeout or ''), ' '.join(cases), ' '.join(extra)]))


SPLAT = os.environ.get('SPLAT', 'Kernel panic|BUG:|Oops|WARNING:|Call Trace:|KASAN')


REPORT_KINDS = ('KASAN', 'BUG:', 'WARNING:', 'possible circular locking',
                'possible recursive locking', 'ODEBUG', 'UBSAN', 'Kernel panic',
                'Oops', 'INFO: task', 'general protection fault',
                'new suspected memory leaks', 'Call Trace:')


def parse_log(log, suite):
    """The results of @suite's cases in a console log, as kunit.py reads
    them: with its own parser, kunit_parser.py of the tree in $KUNIT_DIR.

    Returns ({case: 'ok'|'fail'|'skip'}, whether the suite ended,
    {case, or '(outside)': [report lines printed while it ran]}, the log's
    lines without their timestamps).
    """
    raw = open(log, errors='replace').read().replace('\r', '').split('\n')
    lines = [re.sub(r'^\[[ 0-9.]*\] ', '', l) for l in raw]
    sys.path.insert(0, os.environ['KUNIT_DIR'])
    out, sys.stdout = sys.stdout, sys.stderr    # the parser's own messages
    try:
        import kunit_parser
        top = kunit_parser.parse_run_tests(raw)
    finally:
        sys.stdout = out
    status = kunit_parser.TestStatus
    word = {status.SUCCESS: 'ok', status.SKIPPED: 'skip'}
    found = [t for t in top.subtests if t.name == suite]
    results, reports, seen = {}, {}, set()
    logs = lambda t: t.log + [l for c in t.subtests for l in logs(c)]
    for case in found[0].subtests if found else []:
        if not case.name:      # the parser's stand-in for a missing case
            continue
        results[case.name] = word.get(case.status, 'fail')
        rep = [l for l in logs(case) if re.search(SPLAT, l)]
        if rep:
            reports[case.name] = rep
            seen.update(rep)
    rest = [l for l in lines if re.search(SPLAT, l) and l not in seen]
    if rest:
        reports['(outside)'] = rest
    ended = bool(found) and found[0].status != status.TEST_CRASHED
    return results, ended, reports, lines


def report_kinds(rlines):
    kinds = [k.rstrip(':') for k in REPORT_KINDS if any(k in r for r in rlines)]
    return ', '.join(kinds[:3])


def report_text(lines):
    """The first kernel report of a log: from its first line to its end marker."""
    for i, l in enumerate(lines):
        if re.search(SPLAT, l):
            start = i
            if i > 0 and lines[i - 1].startswith('====='):
                start = i - 1
            out = []
            for l2 in lines[start:start + 400]:
                out.append(l2)
                if l2.startswith('=====') and len(out) > 2:
                    break
                if re.match(r'---\[ end trace', l2):
                    break
            return out
    return []


def cmd_verdict(log, index, suite, cases):
    """Print "caught DETAIL", "missed DETAIL", or "invalid DETAIL" (exit 0)."""
    results, ended, reports, lines = parse_log(log, suite)
    selected = any(re.search(rf'pci_doe: mutant {index} selected$', l) for l in lines)
    if not selected:
        print(f'invalid the kernel did not report "pci_doe: mutant {index} selected"')
        return
    failed = [c for c in cases if results.get(c) == 'fail']
    other = [c for c, r in results.items() if r == 'fail' and c not in cases]
    skipped = [c for c in cases if results.get(c) == 'skip']
    missing = [c for c in cases if c not in results]
    why = []
    if failed:
        why.append('by ' + ' '.join(failed))
    if other:
        why.append('by unlisted ' + ' '.join(other))
    for c, rlines in reports.items():
        why.append(f'kernel report in {c}: {report_kinds(rlines)}')
    if not ended:
        hung = [l for l in lines if re.search(r'timed out after \d+ seconds', l)]
        why.append('hung, killed after ' + re.search(r'after (\d+) seconds', hung[0]).group(1) + ' s'
                   if hung else 'the suite did not finish (crash)')
    if int(index) == 0:
        # The baseline: every case ran and passed, nothing reported
        bad = [c for c in cases if results.get(c) != 'ok'] + other
        if bad or reports or not ended:
            print('missed ' + '; '.join(why + ([f'not ok or missing: {" ".join(bad)}'] if bad else [])))
        else:
            print(f'caught {len(cases)} cases passed')
        return
    if why:
        print('caught ' + '; '.join(why))
    elif skipped:
        print(f'invalid skipped: {" ".join(skipped)}')
    elif missing:
        print(f'invalid did not run: {" ".join(missing)}')
    else:
        print(f'missed {" ".join(cases)} passed')


def cmd_report(log):
    """Print the first kernel report of LOG."""
    _, _, _, lines = parse_log(log, DEFAULT_SUITE)
    print('\n'.join(report_text(lines)))


def main(argv):
    try:
        if argv[:1] == ['check'] and len(argv) == 3:
            mutants, _ = validate(argv[1], argv[2])
            print(f'{len(mutants)} mutants, every FROM found once')
        elif argv[:1] == ['gen'] and len(argv) == 4:
            cmd_gen(*argv[1:])
        elif argv[:1] == ['plan'] and len(argv) == 3:
            cmd_plan(*argv[1:])
        elif argv[:1] == ['verdict'] and len(argv) >= 5:
            cmd_verdict(argv[1], argv[2], argv[3], argv[4:])
        elif argv[:1] == ['report'] and len(argv) == 2:
            cmd_report(argv[1])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ListError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
